"""Access to /admin on the real `mentorbot serve`: token, login cookie, chat links, 401s."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.dashboard.auth import ChatLinks
from storage.store import SqlStore
from tests.dashboard.seed import RTL_NAME, seed_programme
from tests.fakes import start_server

TOKEN = "test-admin-token-0123456789abcdefghij"  # 36: the minimum is 32
APP_YAML = "programme:\n  name: Pilot\n  start_date: 2027-01-11\n"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    return tmp_path


def sqlite_url(workdir: Path) -> str:
    return f"sqlite+aiosqlite:///{workdir / 'mentorbot.db'}"


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies from 127.0.0.1 (aiohttp ignores cookies from IPs otherwise).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_the_dashboard_is_off_without_a_token(workdir: Path) -> None:
    env = {"MENTORBOT_ADMIN_TOKEN": ""}
    async with start_server(workdir, sqlite_url(workdir), env) as base, client() as http:
        for path in ("/admin", "/admin/login"):
            async with http.get(f"{base}{path}") as response:
                assert response.status == 503
                assert "MENTORBOT_ADMIN_TOKEN" in await response.text()
        async with http.post(f"{base}/admin/login", data={"token": ""}) as response:
            assert response.status == 503


async def test_token_login_cookie_and_logout(workdir: Path, db_url: str) -> None:
    await seed_programme(db_url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(workdir, db_url, env) as base, client() as http:
        admin = f"{base}/admin"
        async with http.get(admin) as response:
            assert response.status == 401
            assert "/admin/login" in await response.text()
        for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN):
            async with http.get(admin, headers={"Authorization": header}) as response:
                assert response.status == 401, header
        async with http.get(admin, headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == 200
            html = await response.text()
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
        assert 'data-chart="meeting-rate"' in html and 'data-chart="pulse-trend"' in html
        assert 'action="/admin/logout"' not in html  # a Bearer script has no session to end
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script" not in html
        assert "Zoë &#34;Zed&#34; O&#39;Neil" in html and f"<bdi>{RTL_NAME}</bdi>" in html
        async with http.get(f"{base}/admin/dashboard.css") as response:
            assert response.status == 200 and response.content_type == "text/css"

        async with http.get(f"{base}/admin/login") as response:
            assert response.status == 200 and 'name="token"' in await response.text()
        async with http.post(
            f"{base}/admin/login", data={"token": "guess"}, allow_redirects=False
        ) as response:
            assert response.status == 401 and "Set-Cookie" not in response.headers
        async with http.post(
            f"{base}/admin/login", data={"token": TOKEN}, allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/admin"
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
        assert TOKEN not in cookie
        async with http.get(admin) as response:
            assert response.status == 200 and 'data-chart="departments"' in await response.text()
        async with http.get(admin) as response:
            (field,) = re.findall(r'name="logout" value="(\w+)"', await response.text())
        async with http.post(f"{base}/admin/logout", data={"logout": field}) as response:
            assert response.url.path == "/admin/login"
        async with http.get(admin) as response:
            assert response.status == 401


async def test_chat_links_work_once_and_not_after_they_expire(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(workdir, db_url, env) as base, client() as http:
        links = ChatLinks(TOKEN, base, store)
        expired = await links.dashboard(datetime.now(UTC) - timedelta(minutes=16), "a@x.com")
        assert expired is not None
        async with http.get(expired, allow_redirects=False) as response:
            assert response.status == 401 and "expired" in await response.text()
        # A link made with another token (before a rotation) is not this server's.
        forged = await ChatLinks("x" * 32, base, store).dashboard(datetime.now(UTC), "a@x.com")
        assert forged is not None
        async with http.get(forged, allow_redirects=False) as response:
            assert response.status == 401
        async with http.get(f"{base}/admin") as response:
            assert response.status == 401  # failed links left no cookie behind

        fresh = await links.dashboard(datetime.now(UTC), "a@x.com")
        assert fresh is not None
        async with http.get(fresh, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/admin"
            assert "HttpOnly" in response.headers["Set-Cookie"]
        async with http.get(f"{base}/admin") as response:
            assert response.status == 200
            assert "No pairs yet" in await response.text()  # an empty programme renders too


async def test_an_export_link_downloads_the_csv_files_and_nothing_else(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    import io
    import zipfile

    await seed_programme(db_url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(workdir, db_url, env) as base, client() as http:
        links = ChatLinks(TOKEN, base, store)
        async with http.get(f"{base}/admin/export.zip") as response:
            assert response.status == 401
        # A dashboard link does not open the export: each link does one thing.
        wrong = await links.dashboard(datetime.now(UTC), "a@x.com")
        assert wrong is not None
        async with http.get(wrong.replace("/admin?", "/admin/export.zip?")) as response:
            assert response.status == 401
        export = await links.export(datetime.now(UTC), "a@x.com")
        assert export is not None
        async with http.get(export) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/zip"
            archive = zipfile.ZipFile(io.BytesIO(await response.read()))
        assert sorted(archive.namelist()) == [
            "comments.csv",
            "pairs.csv",
            "people.csv",
            "pulse_aggregate.csv",
            "sessions.csv",
        ]
        expired = await links.export(datetime.now(UTC) - timedelta(minutes=16), "a@x.com")
        assert expired is not None
        async with http.get(expired) as response:
            assert response.status == 401


async def test_chat_links_need_both_the_token_and_the_public_address(store: SqlStore) -> None:
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    assert await ChatLinks("", "https://m.example", store).dashboard(now, "a@x.com") is None
    assert await ChatLinks(TOKEN, "", store).export(now, "a@x.com") is None
    link = await ChatLinks(TOKEN, "https://m.example/", store).dashboard(now, "a@x.com")
    assert link is not None and link.startswith("https://m.example/admin?link=")
    assert TOKEN not in link
