"""The service URL allow-list against hostile URLs: whatever it lets through, the HTTP client
that then connects (yarl, under aiohttp) must read as the same Microsoft host, port and scheme.

The allow-list parses with `urllib.parse`; a URL the two parsers read differently could send the
bot's token to a host the list never allowed.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from adapters.teams.trust import MICROSOFT_SERVICE_URLS, ServiceUrls
from tests.hostile.strategies import FUZZ, odd_text

ALLOWED = ServiceUrls.parse("", dev_mode=False)
HOSTS = {URL(u).host for u in MICROSOFT_SERVICE_URLS}
PIECES = st.sampled_from(
    [
        "https://", "http://", "//", "smba.trafficmanager.net",
        "smba.infra.gcc.teams.microsoft.com", "evil.example", "@", ":", ":443", ":8443", "/",
        "\\", "#", "?", ".", "%2e", "%40", "%2f", "[", "]", "::1", "127.0.0.1", "user:pw",
        "\t", "\n", " ", "\u017f", "\uff0e", "amer", "emea",
    ]
)  # fmt: skip
urls = st.one_of(
    st.lists(PIECES, min_size=1, max_size=8).map("".join),
    st.tuples(st.sampled_from(MICROSOFT_SERVICE_URLS), odd_text).map("".join),
    st.tuples(odd_text, st.sampled_from(MICROSOFT_SERVICE_URLS)).map("".join),
)


@FUZZ
@given(url=urls)
def test_an_allowed_url_is_one_the_http_client_reads_as_microsofts_host(url: str) -> None:
    if not ALLOWED.allows(url):
        return
    parsed = URL(url.rstrip("/") + "/v3/conversations/a/activities", encoded=True)
    assert parsed.scheme == "https", url
    assert parsed.host in HOSTS, url
    assert parsed.port == 443, url
    assert not parsed.user and not parsed.password, url


def test_the_fuzzing_reaches_allowed_urls_at_all() -> None:
    """A guard on the test above: the documented URLs are allowed, so it checks something."""
    for url in (*MICROSOFT_SERVICE_URLS, "https://smba.trafficmanager.net/amer/"):
        assert ALLOWED.allows(url)
