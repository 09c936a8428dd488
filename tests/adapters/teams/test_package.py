"""The Teams app package: manifest with the app id, two valid icons, one zip."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from adapters.teams.package import PackageError, build_manifest
from bot.errors import UserError
from bot.teams import write_package

APP_ID = "6b0e1c4e-3a1d-4b8e-9c55-0f3b2a1d9e77"


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA, non-interlaced PNG (filter type 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)
    idat, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        pixels += [tuple(row[1 + x * 4 : 5 + x * 4]) for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


def test_the_package_holds_a_filled_in_manifest_and_both_icons(tmp_path: Path) -> None:
    out = write_package(APP_ID, tmp_path / "teams.zip")
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = png_pixels(archive.read("color.png"))
        outline = png_pixels(archive.read("outline.png"))
    assert manifest["manifestVersion"] == "1.17" and "v1.17" in manifest["$schema"]
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal"]
    commands = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert {"help", "join", "status", "pause until", "resume", "leave", "match", "report"} <= set(
        commands
    )
    assert len(commands) <= 10  # Teams shows at most ten commands per list
    assert all(len(c) <= 32 for c in commands)
    assert "<" not in json.dumps(manifest)
    assert color[:2] == (192, 192)
    assert outline[:2] == (32, 32)
    # The outline icon is white on transparent, nothing else (a Teams requirement).
    assert {p[:3] for p in outline[2] if p[3]} == {(255, 255, 255)}
    assert any(p[3] == 0 for p in outline[2])


def test_the_same_app_id_gives_the_same_bytes(tmp_path: Path) -> None:
    first = write_package(APP_ID, tmp_path / "a.zip").read_bytes()
    assert write_package(APP_ID, tmp_path / "b.zip").read_bytes() == first


def test_a_bad_app_id_is_a_user_error_naming_the_option(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--app-id"):
        write_package("my-bot", tmp_path / "x.zip")
    with pytest.raises(PackageError):
        build_manifest("")
    assert not (tmp_path / "x.zip").exists()


def test_the_cli_writes_the_package_and_refuses_a_bad_app_id(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main

    out = tmp_path / "app.zip"
    assert (
        main(
            [
                "teams",
                "package",
                "--app-id",
                "12345678-1234-1234-1234-123456789abc",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.exists() and "Upload it in Teams" in capsys.readouterr().out
    assert main(["teams", "package", "--app-id", "not-a-guid"]) == 1
    assert "is not a GUID" in capsys.readouterr().err
