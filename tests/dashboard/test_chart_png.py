"""The chart image for chat: a valid PNG drawn without any imaging library, served behind a
signed, reusable link, and rendered as an image on every platform."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from adapters.console.render import render as console_render
from adapters.slack.render import blocks as slack_blocks
from adapters.teams.render import render_card
from bot.dashboard.auth import ChatLinks, chart_link
from bot.dashboard.png import programme_chart
from conversations.outbox.codec import message_from_dict, message_to_dict
from conversations.types import Image, OutgoingMessage, Text, ToPerson
from storage.store import SqlStore
from tests.dashboard.seed import seed_programme
from tests.dashboard.test_dashboard_http import TOKEN, client
from tests.fakes import start_server


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw scanlines) — checking every chunk's CRC on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, size = 8, b"", (0, 0)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    return size[0], size[1], zlib.decompress(idat)


def test_the_chart_is_a_valid_png_with_bars_in_both_panels() -> None:
    png = programme_chart([("Round 1", 0.75), ("Round 2", None)], [("Jan", 4.2), ("Feb", None)])
    width, height, raw = read_png(png)
    assert (width, height) == (760, 300) and len(raw) == height * (1 + width * 3)
    assert bytes((37, 99, 235)) in raw and bytes((5, 150, 105)) in raw  # both bar colours
    # Anything the font lacks is drawn as a box, never an error; no data is said so.
    read_png(programme_chart([("Ünïcödé ✓", 1.0)], []))


def test_every_platform_shows_the_image() -> None:
    message = OutgoingMessage(
        ToPerson(1), "report", "Figures", (Text("Figures"), Image("https://m/c.png", "Chart"))
    )
    assert message_from_dict(message_to_dict(message)) == message
    assert {"type": "image", "image_url": "https://m/c.png", "alt_text": "Chart"} in (
        slack_blocks(message.blocks)
    )
    card = render_card(message)
    assert any(e.get("type") == "Image" for e in card["body"][-1]["items"])
    assert "Chart: https://m/c.png" in console_render(message)


async def test_the_chart_link_serves_the_image_and_nothing_else(
    tmp_path: Path, db_url: str, store: SqlStore
) -> None:
    (tmp_path / "app.yaml").write_text("programme:\n  name: Pilot\n  start_date: 2027-01-11\n")
    await seed_programme(db_url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(tmp_path, db_url, env) as base, client() as http:
        async with http.get(chart_link(TOKEN, base, datetime.now(UTC))) as response:
            assert response.status == 200 and response.content_type == "image/png"
            read_png(await response.read())
        wrong = await ChatLinks(TOKEN, base, store).dashboard(datetime.now(UTC), "a@x.com")
        assert wrong is not None
        async with http.get(wrong.replace("/admin?", "/admin/chart.png?")) as response:
            assert response.status == 401
        old = chart_link(TOKEN, base, datetime.now(UTC) - timedelta(days=31))
        async with http.get(old) as response:
            assert response.status == 401
        async with http.get(f"{base}/admin/chart.png") as response:
            assert response.status == 401
        async with (
            aiohttp.ClientSession() as plain,
            plain.get(
                f"{base}/admin/chart.png", headers={"Authorization": f"Bearer {TOKEN}"}
            ) as response,
        ):
            assert response.status == 200
