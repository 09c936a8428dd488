"""The trust rules on their own: service URL matching on the parsed URL, tenants, loopback."""

from __future__ import annotations

import pytest

from adapters.teams.trust import (
    ServiceUrls,
    TeamsTrust,
    Tenants,
    TrustConfigError,
    dev_mode_host_problem,
    is_loopback_host,
    is_loopback_ip,
)

MICROSOFT = ServiceUrls.parse("", dev_mode=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net/emea/",
        "https://SMBA.trafficmanager.net/apac",
        "https://smba.trafficmanager.net:443/teams/",
        "https://smba.infra.gcc.teams.microsoft.com/gcc/",
        "https://smba.infra.gov.teams.microsoft.us/teams",
        "https://smba.infra.dod.teams.microsoft.us/",
    ],
)
def test_microsofts_bot_connector_hosts_are_allowed_by_default(url: str) -> None:
    assert MICROSOFT.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net.evil.example/amer/",
        "https://smba.trafficmanager.net@evil.example/",
        "https://user:pw@smba.trafficmanager.net/amer/",
        "https://evil.example/smba.trafficmanager.net/",
        "http://smba.trafficmanager.net/amer/",  # the token never goes out in clear text
        "https://smba.trafficmanager.net:8443/amer/",
        "https://xsmba.trafficmanager.net/",
        "//smba.trafficmanager.net/amer/",
        "https://[::1/",
        "https://smba.trafficmanager.net\\@evil.example/",
        "https://evil.example\\smba.trafficmanager.net/",
        "https://\u017fmba.trafficmanager.net/amer/",  # casefolds to the real host
        "https://smba.trafficmanager.net\t/amer/",
        "https://smba.trafficmanager.net/amer/\n",
        " https://smba.trafficmanager.net/amer/",
        "http://127.0.0.1:3978/",
        "",
        None,
        42,
    ],
)
def test_look_alikes_and_other_hosts_are_not(url: object) -> None:
    assert not MICROSOFT.allows(url)


def test_a_listed_prefix_matches_on_a_path_segment_boundary() -> None:
    urls = ServiceUrls.parse(
        "https://smba.trafficmanager.net/emea , http://127.0.0.1:8080/fake/", dev_mode=False
    )
    assert urls.allows("https://smba.trafficmanager.net/emea/")
    assert urls.allows("https://smba.trafficmanager.net/emea")
    assert not urls.allows("https://smba.trafficmanager.net/emeax/")
    assert not urls.allows("https://smba.trafficmanager.net/amer/")
    assert urls.allows("http://127.0.0.1:8080/fake/v3")
    assert not urls.allows("http://127.0.0.1:8081/fake/")
    assert not urls.allows("http://127.0.0.2:8080/fake/")


def test_dev_mode_without_a_list_allows_loopback_only() -> None:
    urls = ServiceUrls.parse(" ", dev_mode=True)
    for url in (
        "http://127.0.0.1:3978/",
        "http://127.8.9.1/",
        "http://[::1]:5/",
        "http://localhost/",
    ):
        assert urls.allows(url), url
    for url in ("https://smba.trafficmanager.net/amer/", "http://10.0.0.1/", "http://[::2]/"):
        assert not urls.allows(url), url


@pytest.mark.parametrize(
    "text", ["smba.trafficmanager.net", "ftp://x/", "https://x/?a=1", "https://"]
)
def test_an_unusable_list_is_a_clear_error(text: str) -> None:
    with pytest.raises(TrustConfigError, match="TEAMS_ALLOWED_SERVICE_URLS"):
        ServiceUrls.parse(text, dev_mode=False)


def test_tenants_default_to_the_app_tenant_and_nothing_is_no_tenant_at_all() -> None:
    assert Tenants.parse("", default="T1", dev_mode=False).allows("t1")
    assert not Tenants.parse("", default="T1", dev_mode=False).allows("t2")
    listed = Tenants.parse("a, b", default="T1", dev_mode=False)  # the list wins over the default
    assert listed.allows("a") and listed.allows("B") and not listed.allows("T1")
    nobody = Tenants.parse("", default="", dev_mode=False)
    assert not nobody.allows("a") and not nobody.allows("")
    emulator = Tenants.parse("", default="", dev_mode=True)
    assert emulator.allows("") and emulator.allows("anything")
    assert not Tenants.parse("a", default="", dev_mode=True).allows("")


def test_new_chats_go_to_the_only_allowed_tenant_or_the_app_tenant_and_nowhere_else() -> None:
    """The tenant in which the sender creates a chat with a roster person (tenant unknown)."""
    assert Tenants.parse("", default="T1", dev_mode=False).home == "T1"
    assert Tenants.parse(" A ", default="T1", dev_mode=False).home == "A"  # the only one allowed
    assert Tenants.parse("A, T1", default="t1", dev_mode=False).home == "t1"
    assert Tenants.parse("A, B", default="T1", dev_mode=False).home == ""  # T1 is not allowed
    assert Tenants.parse("A, B", default="", dev_mode=False).home == ""
    assert Tenants.parse("", default="", dev_mode=True).home == ""  # dev mode: no rule at all


def test_an_activity_naming_two_tenants_is_refused() -> None:
    trust = TeamsTrust.from_settings(
        allowed_service_urls="", allowed_tenants="ours", app_tenant_id="", dev_mode=False
    )
    activity = {
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelData": {"tenant": {"id": "ours"}},
        "conversation": {"tenantId": "theirs"},
    }
    assert trust.refusal(activity) == ("tenant", "the activity names two different tenants")
    activity["conversation"] = {"tenantId": "OURS"}
    assert trust.refusal(activity) is None
    assert trust.refusal({**activity, "serviceUrl": "https://evil.example/"}) is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]"])
def test_loopback_ip_literals_may_serve_dev_mode(host: str) -> None:
    assert is_loopback_ip(host) and is_loopback_host(host)
    assert dev_mode_host_problem(dev_mode=True, app_id="", host=host) is None


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST"])
def test_localhost_is_a_loopback_service_url_host_but_not_a_dev_mode_host(host: str) -> None:
    # The Emulator's service URL says localhost; a listening address named localhost binds to
    # whatever the name resolves to, which /etc/hosts may point at a network address.
    assert is_loopback_host(host) and not is_loopback_ip(host)
    problem = dev_mode_host_problem(dev_mode=True, app_id="", host=host)
    assert problem is not None and "127.0.0.1 or ::1" in problem and "not a name" in problem


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.5", "example.com", "localhost.evil"])
def test_dev_mode_refuses_every_other_host_unless_an_app_id_is_set(host: str) -> None:
    assert not is_loopback_host(host) and not is_loopback_ip(host)
    problem = dev_mode_host_problem(dev_mode=True, app_id="", host=host)
    assert problem is not None and "HOST must be a loopback IP address" in problem
    assert "127.0.0.1 or ::1" in problem
    assert dev_mode_host_problem(dev_mode=True, app_id="app", host=host) is None
    assert dev_mode_host_problem(dev_mode=False, app_id="", host=host) is None


@pytest.mark.parametrize(
    "conversation",
    [
        {"tenantId": "ours", "conversationType": "channel"},
        {"tenantId": "ours", "conversationType": "groupChat", "isGroup": True},
        {"tenantId": "ours", "conversationType": "personal", "isGroup": True},
        {"tenantId": "ours", "conversationType": "meeting"},
    ],
)
def test_only_personal_chats_are_served(conversation: dict[str, object]) -> None:
    trust = TeamsTrust.from_settings(
        allowed_service_urls="", allowed_tenants="ours", app_tenant_id="", dev_mode=False
    )
    activity = {
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelData": {"tenant": {"id": "ours"}},
        "conversation": conversation,
    }
    assert trust.refusal(activity) == ("conversation", "this bot works in personal chats only")
    personal = {**activity, "conversation": {"tenantId": "ours", "conversationType": "personal"}}
    assert trust.refusal(personal) is None
