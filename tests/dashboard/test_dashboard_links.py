"""The dashboard page links to what exists: the CSV export and the chart image, both served
to the same logged-in browser (the real `mentorbot serve`)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from tests.dashboard.seed import seed_programme
from tests.fakes import start_server

TOKEN = "test-admin-token-0123456789-abcdef"


async def test_the_page_links_to_the_export_and_the_chart_and_both_work(
    tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "app.yaml").write_text("programme:\n  name: Pilot\n  start_date: 2027-01-11\n")
    await seed_programme(db_url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    jar = aiohttp.CookieJar(unsafe=True)  # keep the login cookie from 127.0.0.1
    async with (
        start_server(tmp_path, db_url, env) as base,
        aiohttp.ClientSession(cookie_jar=jar) as http,
    ):
        async with http.post(f"{base}/admin/login", data={"token": TOKEN}) as response:
            assert response.status == 200  # redirected to the page, now logged in
            html = await response.text()
        links = set(re.findall(r'href="(/admin/[^"?]+)"', html))
        assert {"/admin/export.zip", "/admin/chart.png"} <= links
        async with http.get(f"{base}/admin/export.zip") as response:
            assert response.status == 200 and response.content_type == "application/zip"
            names = zipfile.ZipFile(io.BytesIO(await response.read())).namelist()
        assert "people.csv" in names and "pairs.csv" in names
        async with http.get(f"{base}/admin/chart.png") as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert (await response.read()).startswith(b"\x89PNG")
