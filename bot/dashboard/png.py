"""The programme charts as a PNG for chat: Slack and Teams show images, not SVG, and the
report in chat should carry the meeting rate and the pulse at a glance (issue 7).

A deliberately tiny rasteriser — rectangles and a 5×7 bitmap font — encoded with zlib, so no
imaging library (and nothing from the internet) is needed at run time.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

# 5×7 glyphs, one int per row, the high bit (16) leftmost. Labels are upper-cased first.
FONT: dict[str, tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "0": (14, 17, 19, 21, 25, 17, 14),
    "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31),
    "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2),
    "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14),
    "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14),
    "9": (14, 17, 17, 15, 1, 2, 12),
    "%": (24, 25, 2, 4, 8, 19, 3),
    ".": (0, 0, 0, 0, 0, 12, 12),
    "/": (1, 1, 2, 4, 8, 16, 16),
    ":": (0, 12, 12, 0, 12, 12, 0),
    "-": (0, 0, 0, 31, 0, 0, 0),
    "(": (2, 4, 8, 8, 8, 4, 2),
    ")": (8, 4, 2, 2, 2, 4, 8),
    "A": (14, 17, 17, 31, 17, 17, 17),
    "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14),
    "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31),
    "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15),
    "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14),
    "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17),
    "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17),
    "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14),
    "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13),
    "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30),
    "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14),
    "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10),
    "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 10, 4, 4, 4, 4),
    "Z": (31, 1, 2, 4, 8, 16, 31),
}
UNKNOWN = (31, 17, 17, 17, 17, 17, 31)  # a box: never a crash on a character we lack

WHITE = (255, 255, 255)
INK = (31, 41, 55)
GREY = (156, 163, 175)
BAR = (37, 99, 235)
PULSE = (5, 150, 105)


@dataclass
class Canvas:
    """An RGB image being drawn."""

    width: int
    height: int

    def __post_init__(self) -> None:
        self.pixels = bytearray(WHITE * (self.width * self.height))

    def rect(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        """Fill a rectangle (clipped to the canvas)."""
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x0 >= x1 or y0 >= y1:
            return
        row = bytes(color) * (x1 - x0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, color: tuple[int, int, int], scale: int = 2) -> int:
        """Draw `text` (upper-cased) at (x, y); returns the width drawn."""
        cursor = x
        for char in text.upper():
            for row, bits in enumerate(FONT.get(char, UNKNOWN)):
                for col in range(5):
                    if bits & (16 >> col):
                        self.rect(cursor + col * scale, y + row * scale, scale, scale, color)
            cursor += 6 * scale
        return cursor - x

    def png(self) -> bytes:
        """The canvas as a PNG file (8-bit RGB, no filtering)."""
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 6))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@dataclass(frozen=True)
class Bar:
    """One bar: its label under it, its value (None: not shown, e.g. too few people)."""

    label: str
    value: float | None
    caption: str


def bar_panel(
    canvas: Canvas,
    x: int,
    y: int,
    w: int,
    h: int,
    title: str,
    bars: Sequence[Bar],
    top: float,
    color: tuple[int, int, int],
) -> None:
    """A titled bar chart in the box (x, y, w, h), bars scaled to `top`."""
    canvas.text(x, y, title, INK)
    base = y + h - 24  # room for the labels under the axis
    plot_top = y + 40
    canvas.rect(x, base, w, 2, GREY)
    if not bars:
        canvas.text(x, plot_top + 20, "NO DATA YET", GREY)
        return
    shown = list(bars)[-8:]  # the latest eight fit a phone screen
    slot = w // len(shown)
    width = max(8, slot * 3 // 5)
    for n, bar in enumerate(shown):
        left = x + n * slot + (slot - width) // 2
        canvas.text(left, base + 8, bar.label[: max(3, slot // 6)], INK, scale=1)
        if bar.value is None:
            canvas.text(left, base - 20, "-", GREY)
            continue
        height = int((base - plot_top - 20) * max(0.0, min(bar.value / top, 1.0)))
        canvas.rect(left, base - height, width, height, color)
        canvas.text(left, base - height - 18, bar.caption[:5], INK)


def programme_chart(
    rates: Sequence[tuple[str, float | None]], pulse: Sequence[tuple[str, float | None]]
) -> bytes:
    """Meeting rate per round (0–100 %) and the average pulse per period (1–5), side by side."""
    canvas = Canvas(760, 300)
    bars = [Bar(label, rate, f"{rate:.0%}" if rate is not None else "") for label, rate in rates]
    bar_panel(canvas, 16, 16, 350, 268, "MEETING RATE", bars, 1.0, BAR)
    points = [Bar(label, avg, f"{avg:.1f}" if avg is not None else "") for label, avg in pulse]
    bar_panel(canvas, 394, 16, 350, 268, "PULSE (1-5)", points, 5.0, PULSE)
    return canvas.png()
