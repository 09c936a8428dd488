"""Charts as inline SVG, drawn here so the page needs no script and nothing from a CDN.

Each chart is an `<svg role="img">` with a `<title>` (read out by screen readers) and
`data-chart` naming it; every bar and point carries `data-value`, so tests can read the figures
off the page. All text goes through `markupsafe.escape`: labels are department names and prompt
texts that admins typed, and the page must never run them. Sizes are in viewBox units; the CSS
makes each chart as wide as its card, so the same SVG fits a laptop and a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 420
ROW = 30
LABEL_W = 124
BAR_X = LABEL_W + 6
BAR_W = WIDTH - BAR_X - 124  # room on the right for the figure ("11 of 13 · 85%")
MAX_LABEL = 17


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar: `css` picks the colour from the stylesheet."""

    name: str
    value: float
    css: str


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart; `total` is the full length (e.g. sessions due)."""

    label: str
    segments: tuple[Segment, ...]
    text: str
    total: float | None = None


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _open(chart: str, title: str, height: int) -> list[str]:
    name = escape(chart)
    return [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="chart-{name}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-{name}-title">{escape(title)}</title>',
    ]


def bar_chart(
    chart: str, title: str, bars: Sequence[Bar], legend: Sequence[Segment] = ()
) -> Markup:
    """Horizontal bars, one per row, each made of stacked segments; an optional legend."""
    legend_h = 24 if legend else 0
    height = max(1, len(bars)) * ROW + legend_h + 4
    scale = max([b.total or sum(s.value for s in b.segments) for b in bars] + [1e-9])
    out = _open(chart, title, height)
    for i, bar in enumerate(bars):
        y = legend_h + i * ROW
        out.append(
            f'<g class="row"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<text class="label" x="0" y="{y + 19}">{escape(_short(bar.label))}</text>'
        )
        if bar.total is not None:
            width = BAR_W * bar.total / scale
            out.append(
                f'<rect class="bar-total" x="{BAR_X}" y="{y + 5}" width="{width:.1f}" '
                f'height="{ROW - 10}" data-value="{bar.total:g}"/>'
            )
        x = float(BAR_X)
        for seg in bar.segments:
            width = BAR_W * seg.value / scale
            out.append(
                f'<rect class="bar {escape(seg.css)}" x="{x:.1f}" y="{y + 5}" '
                f'width="{width:.1f}" height="{ROW - 10}" data-value="{seg.value:g}" '
                f'data-series="{escape(seg.name)}"/>'
            )
            x += width
        end = BAR_X + BAR_W * (bar.total or sum(s.value for s in bar.segments)) / scale
        out.append(f'<text class="figure" x="{end + 5:.1f}" y="{y + 19}">{escape(bar.text)}</text>')
        out.append("</g>")
    x = 0
    for seg in legend:
        out.append(
            f'<rect class="bar {escape(seg.css)}" x="{x}" y="4" width="12" height="12"/>'
            f'<text class="legend" x="{x + 16}" y="15">{escape(seg.name)}</text>'
        )
        x += 16 + 8 * len(seg.name) + 18
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(
    chart: str,
    title: str,
    points: Sequence[tuple[str, float | None]],
    *,
    low: float = 1.0,
    high: float = 5.0,
) -> Markup:
    """Values over time on a fixed scale; a None is a gap (too few answers to show)."""
    height, top, bottom, left, right = 200, 12, 170, 28, WIDTH - 10
    out = _open(chart, title, height)
    span = high - low

    def y_of(value: float) -> float:
        return bottom - (value - low) / span * (bottom - top)

    for tick in range(int(low), int(high) + 1):
        y = y_of(tick)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    step = (right - left) / max(1, len(points) - 1) if len(points) > 1 else 0
    coords: list[tuple[float, float] | None] = []
    for i, (label, value) in enumerate(points):
        x = left + step * i if len(points) > 1 else (left + right) / 2
        out.append(
            f'<text class="axis" x="{x:.1f}" y="{bottom + 20}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        coords.append(None if value is None else (x, y_of(value)))
    run: list[str] = []
    for point in [*coords, None]:
        if point is None:
            if len(run) > 1:
                out.append(f'<polyline class="trend" points="{" ".join(run)}"/>')
            run = []
        else:
            run.append(f"{point[0]:.1f},{point[1]:.1f}")
    for i, ((label, value), point) in enumerate(zip(points, coords, strict=True)):
        if value is None or point is None:
            # A hollow marker on the axis: there were answers, too few people to show them.
            x = left + step * i if len(points) > 1 else (left + right) / 2
            out.append(
                f'<circle class="hidden-point" cx="{x:.1f}" cy="{bottom}" r="4" data-hidden="1">'
                f"<title>{escape(label)}: too few people answered to show</title></circle>"
            )
            continue
        out.append(
            f'<circle class="point" cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="4" '
            f'data-value="{value:.2f}"><title>{escape(label)}: {value:.1f}</title></circle>'
        )
    out.append("</svg>")
    return Markup("".join(out))
