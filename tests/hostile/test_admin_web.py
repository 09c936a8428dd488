"""The admin web attacked through the real `mentorbot serve` (issue 15, "The admin web").

- A link from the chat `dashboard` / `export` command works once: replayed (from a log, a
  browser history, a forwarded message) it is refused, also by another replica racing for it.
- Neither a link's token nor a chart link's signature reaches the access log.
- Logging out is a POST that revokes the session in the database: the old cookie stops working
  on every replica; a GET or a cross-site post ends nothing.
- Wrong guesses at the admin token are throttled per address (429 with Retry-After) while the
  right token still gets in, refusal rows are capped globally, and everything —
  logins, links used, exports, refusals — is in the audit log without the secrets.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.dashboard.auth import COOKIE_NAME, ChatLinks
from storage.store import SqlStore
from tests.adapters.slack.fake_slack import FakeSlack
from tests.hostile.conftest import ADMIN
from tests.hostile.server import Served, both_platforms, serve
from tests.hostile.test_http_abuse import _dm_request, assert_no_crash, post

SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
TOKEN = "hostile-admin-token-0123456789abcdef"  # 36 characters: long enough to start
PUBLIC = "https://mentorbot.example"
# What a link or a chart link put in a URL: none of it may reach the log.
SECRET_IN_URL = re.compile(r"[?&](link|sig|exp)=")


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies from 127.0.0.1 (aiohttp ignores cookies from IPs otherwise).
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    )


def on(served: Served, link: str) -> str:
    """A link the bot sent (to its public address) aimed at this test's server."""
    parts = urlsplit(link)
    return f"{served.url}{parts.path}?{parts.query}"


def sent_urls(fake: FakeSlack, pattern: str) -> list[str]:
    """Every URL matching `pattern` in what the bot posted to Slack."""
    found: list[str] = []
    for call in fake.calls:
        found += re.findall(pattern, json.dumps(call.args))
    return found


async def ask(served: Served, http: aiohttp.ClientSession, text: str, event_id: str) -> None:
    """The admin (U0CEO) DMs the bot `text` through the Slack endpoint."""
    status = await post(http, f"{served.url}/slack/events", *_dm_request("U0CEO", text, event_id))
    assert status == 200


@pytest.fixture
async def admin_server(
    hostile_workdir: Path, db_url: str, fake_slack: FakeSlack
) -> AsyncIterator[Served]:
    env = both_platforms(fake_slack, MENTORBOT_ADMIN_TOKEN=TOKEN, MENTORBOT_PUBLIC_URL=PUBLIC)
    async with serve(hostile_workdir, db_url, env) as served:
        yield served
    assert_no_crash(served.log_text)


@SQLITE_ONLY
async def test_chat_links_work_once_and_never_reach_the_access_log(
    admin_server: Served, fake_slack: FakeSlack, store: SqlStore
) -> None:
    served = admin_server
    async with client() as http:
        await ask(served, http, "dashboard", "Ev0DASH")
        await ask(served, http, "export", "Ev0EXPORT")
        await ask(served, http, "report", "Ev0REPORT")
        await fake_slack.wait_for(
            lambda: (
                sent_urls(fake_slack, rf"{PUBLIC}/admin/export\.zip\?link=[\w-]+")
                and sent_urls(fake_slack, rf"{PUBLIC}/admin/chart\.png\?exp=\d+&sig=\w+")
                and sent_urls(fake_slack, rf"{PUBLIC}/admin\?link=[\w-]+")
            ),
            what="the dashboard, export and chart links",
        )
        (dashboard,) = sent_urls(fake_slack, rf"{PUBLIC}/admin\?link=[\w-]+")
        (export,) = sent_urls(fake_slack, rf"{PUBLIC}/admin/export\.zip\?link=[\w-]+")
        chart = sent_urls(fake_slack, rf"{PUBLIC}/admin/chart\.png\?exp=\d+&sig=\w+")[0]

        # The dashboard link becomes a session once; replayed, it opens nothing.
        async with http.get(on(served, dashboard), allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/admin"
        async with http.get(f"{served.url}/admin") as response:
            assert response.status == 200
        async with client() as attacker:
            async with attacker.get(on(served, dashboard), allow_redirects=False) as response:
                assert response.status == 401 and "Set-Cookie" not in response.headers
                assert "used already" in await response.text()
            # An export link downloads once.
            async with attacker.get(on(served, export)) as response:
                assert response.status == 200
                names = zipfile.ZipFile(io.BytesIO(await response.read())).namelist()
                assert "people.csv" in names
            async with attacker.get(on(served, export)) as response:
                assert response.status == 401
            # A dashboard link cannot download the export, and the old signed form is dead.
            async with attacker.get(f"{served.url}/admin/export.zip?exp=1&sig=00") as response:
                assert response.status == 401
        # The chart link is the one link that is reusable (chat clients fetch images again).
        for _ in range(2):
            async with http.get(on(served, chart)) as response:
                assert response.status == 200 and response.content_type == "image/png"

    log = served.log_text
    assert '"GET /admin HTTP/1.1" 303' in log and '"GET /admin/chart.png HTTP/1.1" 200' in log
    assert '"POST /slack/events HTTP/1.1" 200' in log
    assert not SECRET_IN_URL.search(log), SECRET_IN_URL.search(log)
    for link in (dashboard, export, chart):
        for value in re.findall(r"(?:link|sig)=([\w-]+)", link):
            assert value not in log

    entries = [(e.actor, e.action, e.detail) for e in await store.recent(50)]
    assert (ADMIN, "link used", "dashboard link, from 127.0.0.1") in entries
    assert (ADMIN, "dashboard login", f"via link issued to {ADMIN}") in entries
    assert (ADMIN, "link used", "export link, from 127.0.0.1") in entries
    assert (ADMIN, "export downloaded", "from 127.0.0.1") in entries
    refused = [e for e in entries if e[1] == "link refused"]
    assert (
        "unknown",
        "link refused",
        "dashboard link unknown, used or expired, from 127.0.0.1",
    ) in (refused)
    assert len(refused) == 3  # the replayed dashboard and export links, the old signed form
    audit_text = repr(entries)
    for link in (dashboard, export):
        assert link.split("=")[-1] not in audit_text


async def test_a_link_works_once_across_replicas_and_logout_revokes_the_session_everywhere(
    tmp_path: Path, db_url: str, store: SqlStore
) -> None:
    (tmp_path / "app.yaml").write_text("programme:\n  name: Pilot\n  start_date: 2027-01-11\n")
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with (
        serve(tmp_path, db_url, env) as one,
        serve(tmp_path, db_url, env) as two,
        client() as first,
        client() as second,
    ):
        links = ChatLinks(TOKEN, PUBLIC, store)
        link = await links.dashboard(datetime.now(UTC), ADMIN)
        assert link is not None

        async def use(http: aiohttp.ClientSession, served: Served) -> int:
            async with http.get(on(served, link), allow_redirects=False) as response:
                return response.status

        # Two replicas race for the same link: exactly one wins.
        statuses = await asyncio.gather(use(first, one), use(second, two))
        assert sorted(statuses) == [303, 401], statuses
        winner = first if statuses[0] == 303 else second
        (cookie,) = [c.value for c in winner.cookie_jar if c.key == COOKIE_NAME]
        stolen = {"Cookie": f"{COOKIE_NAME}={cookie}"}

        async def status_with_cookie(served: Served) -> int:
            async with client() as other, other.get(f"{served.url}/admin", headers=stolen) as r:
                return r.status

        # The session lives in the database: the cookie works on both replicas ...
        assert [await status_with_cookie(one), await status_with_cookie(two)] == [200, 200]
        # ... a GET cannot end it (an <img> on another site, a prefetch) ...
        async with winner.get(f"{one.url}/admin/logout", allow_redirects=False) as response:
            assert response.status == 405
        # ... nor a post without the page's logout field (a cross-site form) ...
        async with winner.post(f"{one.url}/admin/logout", allow_redirects=False) as response:
            assert response.status == 403
        assert await status_with_cookie(two) == 200
        # ... and the dashboard's own Log out button ends it on every replica.
        async with winner.get(f"{one.url}/admin") as response:
            html = await response.text()
        (field,) = re.findall(r'name="logout" value="(\w+)"', html)
        async with winner.post(
            f"{one.url}/admin/logout", data={"logout": field}, allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/admin/login"
        assert [await status_with_cookie(one), await status_with_cookie(two)] == [401, 401]

    actions = [(e.actor, e.action) for e in await store.recent(20)]
    assert (ADMIN, "dashboard logout") in actions and (ADMIN, "dashboard login") in actions
    assert [a for a in actions if a[1] == "link refused"] == [("unknown", "link refused")]


@SQLITE_ONLY
async def test_guessing_the_admin_token_is_throttled_per_address(
    tmp_path: Path, db_url: str, store: SqlStore
) -> None:
    """After 5 failures a minute an address's wrong attempts get 429; the right credential
    still gets in from it (behind a proxy every client shares one address: a throttle on the
    right token would let anyone lock the admins out)."""
    (tmp_path / "app.yaml").write_text("programme:\n  name: Pilot\n  start_date: 2027-01-11\n")
    guesses = [f"guess-{n}-0123456789abcdef0123456789" for n in range(6)]
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with serve(tmp_path, db_url, env) as served, client() as admin, client() as http:
        login = f"{served.url}/admin/login"
        async with admin.post(login, data={"token": TOKEN}) as response:
            assert response.status == 200 and response.url.path == "/admin"
        for guess in guesses[:5]:
            async with http.post(login, data={"token": guess}) as response:
                assert response.status == 401
        # A sixth wrong one waits, and is not written to the audit log.
        async with http.post(login, data={"token": guesses[5]}) as response:
            assert response.status == 429 and "Set-Cookie" not in response.headers
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            assert "Too many failed attempts" in await response.text()
        bad_bearer = {"Authorization": f"Bearer {guesses[0]}"}
        async with http.get(f"{served.url}/admin", headers=bad_bearer) as response:
            assert response.status == 429
        async with http.get(f"{served.url}/admin?link=whatever") as response:
            assert response.status == 429
        # The right token still gets in from the same address: a Bearer script…
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        async with http.get(f"{served.url}/admin", headers=bearer) as response:
            assert response.status == 200
        # …the login form…
        async with http.post(login, data={"token": TOKEN}, allow_redirects=False) as response:
            assert response.status == 303 and COOKIE_NAME in response.cookies
        # …and a valid unused link.
        link = await ChatLinks(TOKEN, PUBLIC, store).dashboard(datetime.now(UTC), ADMIN)
        assert link is not None
        async with client() as clicked:
            async with clicked.get(on(served, link), allow_redirects=False) as response:
                assert response.status == 303 and COOKIE_NAME in response.cookies
        # A browser signed in before keeps its session.
        async with admin.get(f"{served.url}/admin") as response:
            assert response.status == 200
        async with http.get(f"{served.url}/metrics") as response:
            metrics = await response.text()
        assert "mentorbot_admin_refusals_total 8\n" in metrics  # 401s and 429s alike
    entries = [(e.actor, e.action, e.detail) for e in await store.recent(20)]
    refused = [e for e in entries if e[1] == "login refused"]
    assert (
        refused
        == [("unknown", "login refused", "wrong admin token (login form), from 127.0.0.1")] * 5
    )
    assert ("unknown", "login throttled", "5 failures in 60 s from 127.0.0.1") in entries
    assert [e[1] for e in entries].count("dashboard login") == 3
    assert [e[1] for e in entries].count("link used") == 1
    assert len(entries) == 10  # refusals while throttled are not written (no flood)
    for guess in guesses:
        assert guess not in repr(entries) and guess not in served.log_text


@SQLITE_ONLY
async def test_refusals_from_rotating_addresses_cannot_flood_the_audit_log(
    tmp_path: Path, db_url: str, store: SqlStore
) -> None:
    """Each of 12 loopback addresses fails 5 times (never throttled on its own): at most 20
    refusal rows reach the audit log in that minute; /metrics counts all 60."""
    (tmp_path / "app.yaml").write_text("programme:\n  name: Pilot\n  start_date: 2027-01-11\n")
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with serve(tmp_path, db_url, env) as served:
        login = f"{served.url}/admin/login"
        for n in range(12):
            connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{10 + n}", 0))
            async with aiohttp.ClientSession(connector=connector) as http:
                for attempt in range(5):
                    async with http.post(login, data={"token": f"wrong-{attempt}"}) as response:
                        assert response.status == 401
        async with client() as http:
            async with http.get(f"{served.url}/metrics") as response:
                metrics = await response.text()
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(f"{served.url}/admin", headers=bearer) as response:
                assert response.status == 200
        assert "mentorbot_admin_refusals_total 60\n" in metrics
        unlogged = re.search(r"^mentorbot_admin_refusals_unlogged_total (\d+)$", metrics, re.M)
        assert unlogged is not None
        assert "Traceback" not in served.log_text
    entries = [(e.actor, e.action, e.detail) for e in await store.recent(200)]
    actions = [e[1] for e in entries]
    # 20 rows: 17 refusals and 3 "login throttled" (of the first three addresses); the
    # other 43 refusals are only counted.
    assert len(entries) == 20 and set(actions) == {"login refused", "login throttled"}
    assert actions.count("login refused") + int(unlogged.group(1)) == 60
    assert actions.count("login throttled") == 3
