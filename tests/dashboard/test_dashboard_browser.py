"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

Start `mentorbot serve` on a seeded database, log in through the form, check that the charts
rendered with their data and that a department under `privacy.min_group_size` never shows, and
keep screenshots (laptop and phone) under the test's tmp dir. Skipped only where Chromium is
not installed and CI is not set; under CI=true a missing Chromium fails the test (`.ci/run`
installs it).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import upgrade
from tests.dashboard.seed import SMALL_DEPARTMENTS, seed_programme
from tests.fakes import start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOKEN = "browser-test-admin-token-0123456789abcdef"  # the minimum is 32 characters
CHARTS = ("departments", "pairs", "meeting-rate", "pulse-trend", "pulse-by-track", "prompt-usage")


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; fail in CI, where it must be there."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true requires the browser test to run, but {message}")
    pytest.skip(message)


async def test_admin_logs_in_and_sees_charts_without_small_departments(tmp_path: Path) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    (tmp_path / "app.yaml").write_text(
        "programme:\n  name: Reverse Mentoring 2027\n  start_date: 2027-01-11\n"
        "privacy:\n  min_group_size: 5\n"
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}"
    await upgrade(url)
    await seed_programme(url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(tmp_path, url, env) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            response = await page.goto(f"{base}/admin")
            assert response is not None and response.status == 401
            await page.click("text=Log in with the admin token")
            await page.fill("#token", TOKEN)
            await page.click("button[type=submit]")
            await page.wait_for_selector('svg[data-chart="meeting-rate"]')
            assert page.url == f"{base}/admin"

            for chart in CHARTS:
                svg = page.locator(f'svg[data-chart="{chart}"]')
                assert await svg.count() == 1, chart
                box = await svg.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 20, chart
            held = await page.eval_on_selector_all(
                'svg[data-chart="meeting-rate"] rect.held',
                "els => els.map(e => [e.dataset.value, e.getBBox().width])",
            )
            assert [value for value, _ in held] == ["11", "0"]
            assert held[0][1] > 50  # 11 of 13 held: a long bar, really drawn
            points = await page.eval_on_selector_all(
                'svg[data-chart="pulse-trend"] circle.point', "els => els.map(e => e.dataset.value)"
            )
            assert points == ["3.89"]  # round 1's session 2 had too few people to show

            departments = await page.inner_text("#participants")
            assert "Engineering" in departments and "other" in departments
            body = await page.inner_text("body")
            for small in SMALL_DEPARTMENTS:
                assert small not in body and small not in await page.content(), small
            assert "inclusion" not in await page.inner_text("#pulse")  # 2 people: hidden
            await page.screenshot(path=str(tmp_path / "dashboard-laptop.png"), full_page=True)

            await page.set_viewport_size({"width": 390, "height": 844})
            await page.reload()
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0  # nothing sticks out sideways on a phone
            await page.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)

            # Log out is a form posted to the server (CSP form-action 'self' lets it through);
            # the session is revoked, so going back to the dashboard asks to log in again.
            await page.click("text=Log out")
            await page.wait_for_url(f"{base}/admin/login")
            response = await page.goto(f"{base}/admin")
            assert response is not None and response.status == 401
        finally:
            await browser.close()
    assert (tmp_path / "dashboard-laptop.png").stat().st_size > 10_000
    assert (tmp_path / "dashboard-phone.png").stat().st_size > 10_000
