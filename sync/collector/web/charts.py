"""Server-side SVG charts for the dashboard pages: pure functions, data in, SVG text out.

No JavaScript and no chart library: the collector must work offline on a store
network and under a strict Content-Security-Policy, so every chart is a small
inline ``<svg>`` built here.  Only presentation *attributes* are used (never a
``style=""`` attribute), which a CSP without ``'unsafe-inline'`` allows.

The functions know nothing about languages or the database.  Callers pass
numbers plus already formatted strings (tick labels, tooltips), so the same
chart serves every language and can be unit-tested by counting elements.

Tooltips are SVG ``<title>`` children: the browser shows them on hover and
screen readers read them.  A point or bar with an ``href`` is wrapped in an
``<a>``, so a click on a day in the trend opens that day's page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import ClassVar

#: Viridis, sampled at 11 stops: perceptually uniform and colour-blind safe.
VIRIDIS = (
    "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
)
ACCENT = "#3b5bdb"
BAND = "#3b5bdb"
GRID = "#e6e8ee"
AXIS_TEXT = "#5b6475"
EMPTY = "#f1f3f7"

Formatter = Callable[[float], str]


def _num(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _title(text: str | None) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def _reference_line(x1: float | str, x2: float | str, y1: float | str, y2: float | str,
                    width: str, dash: str,
                    inner: str = "", css_class: str = "") -> str:
    """A dashed line in the axis colour marking a reference figure (a baseline, the chain)."""
    cls = f' class="{css_class}"' if css_class else ""
    head = (f'<line{cls} x1="{x1}" x2="{x2}" y1="{y1}" y2="{y2}" stroke="{AXIS_TEXT}" '
            f'stroke-width="{width}" stroke-dasharray="{dash}"')
    return f"{head}>{inner}</line>" if inner else f"{head}/>"


def _link(inner: str, href: str | None, label: str | None = None) -> str:
    if not href:
        return inner
    aria = f' aria-label="{_attr(label)}"' if label else ""
    return f'<a href="{_attr(href)}"{aria}>{inner}</a>'


def _y_label(x: float, y: float, text: str) -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="end">{escape(text)}</text>'


def _svg(width: float, height: float, body: str, css_class: str, label: str,
         described_by: str = "", linked: bool = False) -> str:
    """The ``<svg>`` element: an image with a name, or a group of links.

    A picture is ``role="img"``, whose children a screen reader skips; a chart
    holding links cannot be (an image may not contain interactive things,
    axe's ``nested-interactive``), so it is ``role="group"`` and each link
    carries its own label.  ``described_by`` names the element (a table) that
    holds the chart's figures in text.
    """
    role = "group" if linked else "img"
    described = f' aria-describedby="{_attr(described_by)}"' if described_by else ""
    return (
        f'<svg class="{css_class}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" role="{role}" '
        f'aria-label="{_attr(label)}"{described} xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


@dataclass(frozen=True)
class Frame:
    """A plotted chart's ``<svg>`` (trend, bars): its name for a screen reader, its size,
    its CSS class and the id of the table with its figures in text (``described_by``).

    The plot sits inside ``margins`` (left, right, top, bottom), room for the
    y labels on the left and the x labels underneath.
    """

    label: str
    width: int = 720
    height: int = 240
    css_class: str = "chart"
    described_by: str = ""
    margins: ClassVar[tuple[int, int, int, int]] = (44, 12, 14, 30)

    @property
    def plot_size(self) -> tuple[int, int]:
        """Width and height of the plot inside the margins."""
        left, right, top, bottom = self.margins
        return self.width - left - right, self.height - top - bottom

    def svg(self, body: str, linked: bool = False) -> str:
        """The ``<svg>`` element around ``body`` (see :func:`_svg`)."""
        return _svg(self.width, self.height, body, self.css_class, self.label,
                    self.described_by, linked)


def _decoration(parts: list[str]) -> str:
    """Drawn parts that say nothing the labels and the data table do not (grid, axes,
    lines), hidden from screen readers so a chart of links reads as its links."""
    return f'<g aria-hidden="true">{"".join(parts)}</g>'


def nice_floor(value: float, step: float = 10.0) -> float:
    """``value`` rounded down to a multiple of ``step``."""
    return math.floor(value / step) * step


def nice_step(rough: float) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten) nearest above ``rough``, so
    an axis reads 0, 1,000, 2,000 rather than 0, 3,561, 7,122."""
    power = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1
    return next(power * f for f in (1, 2, 2.5, 5, 10) if power * f >= rough)


def nice_ceil(value: float, step: float = 10.0) -> float:
    """``value`` rounded up to a multiple of ``step``."""
    return math.ceil(value / step) * step


def percent_domain(
    values: Sequence[float | None], minimum_span: float = 20.0
) -> tuple[float, float]:
    """A y range for percentages: whole tens around the data, inside 0..100.

    The range is at least ``minimum_span`` wide, so day-to-day noise of a
    point or two does not look like a cliff.
    """
    real = [v for v in values if v is not None]
    if not real:
        return 0.0, 100.0
    low = max(0.0, nice_floor(min(real)))
    high = min(100.0, nice_ceil(max(real)))
    if high - low < minimum_span:
        low = max(0.0, high - minimum_span)
        high = min(100.0, low + minimum_span)
    return low, high


def viridis(fraction: float) -> str:
    """The viridis colour at ``fraction`` (0..1, clamped), linearly interpolated."""
    fraction = min(1.0, max(0.0, fraction))
    position = fraction * (len(VIRIDIS) - 1)
    index = min(int(position), len(VIRIDIS) - 2)
    mix = position - index
    a, b = VIRIDIS[index], VIRIDIS[index + 1]
    channels = []
    for i in (1, 3, 5):
        x, y = int(a[i : i + 2], 16), int(b[i : i + 2], 16)
        channels.append(round(x + (y - x) * mix))
    return "#" + "".join(f"{c:02x}" for c in channels)


def text_colour(background: str) -> str:
    """Dark or white text, whichever reads better on ``background`` (WCAG luminance)."""
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111827" if luminance > 0.22 else "#ffffff"


# --------------------------------------------------------------------------
# Trend: a line with its 95% interval band
# --------------------------------------------------------------------------

#: The frames trend and stacked_bars draw in unless told otherwise.
TREND = Frame("Trend", height=260, css_class="chart trend")
BARS = Frame("Bars", height=240, css_class="chart bars")


@dataclass(frozen=True)
class TrendPoint:
    """One day (or period) of a trend; ``value`` None means no responses, ``few`` too few
    to judge (a hollow grey mark that no line or band joins)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    title: str = ""
    href: str | None = None
    few: bool = False


def trend(
    points: Sequence[TrendPoint],
    *,
    x_labels: Sequence[tuple[int, str]] = (),
    y_format: Formatter = lambda v: f"{v:.0f}%",
    reference: float | None = None,
    reference_label: str = "",
    frame: Frame = TREND,
    y_domain: tuple[float, float] | None = None,
) -> str:
    """A line chart of ``points`` with a shaded interval band and linked points.

    ``x_labels`` are ``(index, text)`` ticks under the chart.  A day without
    responses breaks both the line and the band, so no value is invented; so does a
    day of too few responses (``few``), drawn as a dashed hollow mark.
    ``reference`` draws a dashed horizontal line (e.g. a 28-day baseline).
    ``y_domain``: the value axis of a figure that is no percent (NPS -100..100,
    CES 1..7); a CSAT trend leaves it out and gets :func:`percent_domain`.
    """
    left, right, top, _bottom = frame.margins
    width, height = frame.width, frame.height
    plot_w, plot_h = frame.plot_size
    values: list[float | None] = []
    for p in points:
        values += [p.value, p.low, p.high]
    if reference is not None:
        values.append(reference)
    y_min, y_max = y_domain or percent_domain(values)
    count = max(len(points), 1)
    step = plot_w / count

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y_min) / ((y_max - y_min) or 1))

    parts = [f'<g class="grid" stroke="{GRID}" stroke-width="1">']
    tick_step = _tick_step(y_max - y_min)
    first = math.ceil(y_min / tick_step - 1e-9) * tick_step if y_domain else y_min
    labels = []
    for k in range(int((y_max - first) // tick_step + 1e-9) + 1):
        v = first + tick_step * k
        yy = _num(y(v))
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy}" y2="{yy}"/>')
        labels.append(_y_label(left - 8, y(v) + 4, y_format(v)))
    parts.append("</g>")
    parts.append(f'<g class="axis" fill="{AXIS_TEXT}">' + "".join(labels))
    for index, text in x_labels:
        parts.append(
            f'<text x="{_num(x(index))}" y="{height - 8}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    parts.append("</g>")

    # Contiguous runs of days with data: one band polygon and one line each.
    runs: list[list[int]] = []
    for i, p in enumerate(points):
        if p.value is None or p.few:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        banded = [i for i in run if points[i].low is not None and points[i].high is not None]
        if len(banded) == len(run):
            upper = [f"{_num(x(i))},{_num(y(points[i].high))}" for i in run]
            lower = [f"{_num(x(i))},{_num(y(points[i].low))}" for i in reversed(run)]
            if len(run) == 1:
                i = run[0]
                parts.append(
                    f'<line class="band" x1="{_num(x(i))}" x2="{_num(x(i))}" '
                    f'y1="{_num(y(points[i].low))}" y2="{_num(y(points[i].high))}" '
                    f'stroke="{BAND}" stroke-opacity="0.25" stroke-width="6"/>'
                )
            else:
                parts.append(
                    f'<polygon class="band" points="{" ".join(upper + lower)}" '
                    f'fill="{BAND}" fill-opacity="0.14"/>'
                )
        if len(run) > 1:
            line = " ".join(f"{_num(x(i))},{_num(y(points[i].value))}" for i in run)
            parts.append(
                f'<polyline class="line" points="{line}" fill="none" stroke="{ACCENT}" '
                f'stroke-width="2.25" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    if reference is not None:
        ry = _num(y(reference))
        parts.append(_reference_line(left, width - right, ry, ry, "1.25", "5 4",
                                     _title(reference_label), css_class="reference"))
    parts = [_decoration(parts)]
    # Dense series (a year of days) show the line only; a point appears on hover.
    radius = 3.5 if count <= 45 else 2.25 if count <= 100 else 0
    for i, p in enumerate(points):
        if p.value is None:
            continue
        # A wide transparent hit area makes a point easy to hover and tap.
        dot = (
            f'<g class="pt">{_title(p.title)}'
            f'<rect x="{_num(x(i) - step / 2)}" y="{top}" width="{_num(step)}" '
            f'height="{plot_h}" fill="transparent"/>'
            + (f'<circle class="few" cx="{_num(x(i))}" cy="{_num(y(p.value))}" '
               f'r="{max(radius, 3.5)}" fill="none" stroke="{AXIS_TEXT}" stroke-width="1.5" '
               f'stroke-dasharray="2 2"/></g>' if p.few else
               f'<circle cx="{_num(x(i))}" cy="{_num(y(p.value))}" r="{radius}" fill="#ffffff" '
               f'stroke="{ACCENT}" stroke-width="2"/></g>')
        )
        parts.append(_link(dot, p.href, p.title))
    linked = any(p.href and p.value is not None for p in points)
    return frame.svg("".join(parts), linked)


def _tick_step(span: float) -> float:
    """Grid lines a value axis of ``span`` gets: 3-6 of them, on whole steps."""
    if span > 60:
        return 20
    if span > 20:
        return 10
    if span > 6:
        return 5
    return 1 if span > 2.5 else 0.5


# --------------------------------------------------------------------------
# Heat map: weekday x hour, coloured by CSAT
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    """One weekday/hour cell; ``value`` None (too few responses) is drawn empty."""

    row: int
    column: int
    value: float | None
    text: str = ""
    title: str = ""


#: The heat map legend's narrowest colour bar (its end labels apart even when the map is
#: one hour wide) and the width of a letter of its words, to make room for them.
HEAT_LEGEND_MIN = 160.0
HEAT_LETTER = 6.6


def heatmap(
    cells: Sequence[HeatCell],
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    domain: tuple[float, float] = (50.0, 100.0),
    legend: tuple[str, str] = ("50%", "100%"),
    legend_title: str = "",
    empty_label: str = "",
    label: str = "Heat map",
    cell: int = 40,
    css_class: str = "chart heatmap",
    ramp_id: str = "heat-ramp",
    described_by: str = "",
) -> str:
    """A grid of ``rows`` x ``columns`` cells coloured on the viridis scale.

    Values are mapped from ``domain`` (clamped) to the colour ramp; a legend
    with ``legend`` end labels and a swatch for empty cells is drawn below.  The
    legend keeps its own width under a narrow map (taps in one hour: one column), so
    its end labels never meet and its words stay inside the chart.
    """
    left, top = 40, 20
    gap = 3
    grid_w = len(columns) * cell
    bar_w = min(220.0, max(grid_w - 20.0, HEAT_LEGEND_MIN))
    width = left + max(grid_w, bar_w, 20 + len(empty_label) * HEAT_LETTER) + 4
    height = top + len(rows) * cell + (78 if empty_label else 56)
    low, high = domain
    parts = [f'<g class="axis" fill="{AXIS_TEXT}">']
    label_every = 1 if len(columns) <= 16 else 2
    for c, name in enumerate(columns):
        if c % label_every == 0 or len(columns) <= 16:
            parts.append(
                f'<text x="{_num(left + c * cell + cell / 2)}" y="{top - 6}" '
                f'text-anchor="middle">{escape(name)}</text>'
            )
    for r, name in enumerate(rows):
        parts.append(
            f'<text x="{left - 8}" y="{_num(top + r * cell + cell / 2 + 4)}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
    parts.append("</g>")
    by_position = {(c.row, c.column): c for c in cells}
    for r in range(len(rows)):
        for c in range(len(columns)):
            item = by_position.get((r, c))
            cx, cy = left + c * cell + gap / 2, top + r * cell + gap / 2
            size = cell - gap
            if item is None or item.value is None:
                title = _title(item.title) if item else ""
                parts.append(
                    f'<rect class="cell empty" x="{_num(cx)}" y="{_num(cy)}" width="{size}" '
                    f'height="{size}" rx="4" fill="{EMPTY}">{title}</rect>'
                )
                continue
            fraction = (item.value - low) / ((high - low) or 1)
            colour = viridis(fraction)
            parts.append(
                f'<g class="cell">{_title(item.title)}<rect x="{_num(cx)}" y="{_num(cy)}" '
                f'width="{size}" height="{size}" rx="4" fill="{colour}"/>'
            )
            if item.text:
                parts.append(
                    f'<text x="{_num(cx + size / 2)}" y="{_num(cy + size / 2 + 4)}" '
                    f'text-anchor="middle" fill="{text_colour(colour)}">{escape(item.text)}</text>'
                )
            parts.append("</g>")
    # Legend: a gradient bar with its end labels, then the empty-cell swatch.
    ly = top + len(rows) * cell + 18
    stops = "".join(
        f'<stop offset="{_num(i * 100 / (len(VIRIDIS) - 1))}%" stop-color="{colour}"/>'
        for i, colour in enumerate(VIRIDIS)
    )
    parts.append(
        f'<defs><linearGradient id="{_attr(ramp_id)}" x1="0" x2="1" y1="0" y2="0">{stops}'
        f"</linearGradient></defs>"
    )
    parts.append(f'<g class="legend" fill="{AXIS_TEXT}">')
    if legend_title:
        parts.append(f'<text x="{left}" y="{ly - 4}">{escape(legend_title)}</text>')
    parts.append(
        f'<rect x="{left}" y="{ly + 4}" width="{_num(bar_w)}" height="10" rx="3" '
        f'fill="url(#{_attr(ramp_id)})"/>'
    )
    parts.append(f'<text x="{left}" y="{ly + 30}">{escape(legend[0])}</text>')
    parts.append(
        f'<text x="{_num(left + bar_w)}" y="{ly + 30}" text-anchor="end">{escape(legend[1])}</text>'
    )
    if empty_label:
        ey = ly + 40
        parts.append(
            f'<rect x="{left}" y="{ey}" width="14" height="14" rx="3" fill="{EMPTY}" '
            f'stroke="#d5d9e2"/>'
            f'<text x="{left + 20}" y="{ey + 11}">{escape(empty_label)}</text>'
        )
    parts.append("</g>")
    return _svg(width, height, "".join(parts), css_class, label, described_by)


# --------------------------------------------------------------------------
# Bars: stacked per face (hourly breakdown) and simple meters
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """One coloured part of a stacked bar."""

    value: float
    colour: str


@dataclass(frozen=True)
class Bar:
    """One bar: stacked ``segments`` bottom-up, an x label, a tooltip, a note on top."""

    label: str
    segments: Sequence[Segment] = field(default_factory=tuple)
    title: str = ""
    href: str | None = None
    note: str = ""

    @property
    def total(self) -> float:
        return sum(s.value for s in self.segments)


def stacked_bars(
    bars: Sequence[Bar],
    *,
    y_format: Formatter = lambda v: f"{v:.0f}",
    frame: Frame = BARS,
) -> str:
    """Vertical stacked bars (e.g. responses per hour split by face)."""
    left, right, top, _bottom = frame.margins
    width, height = frame.width, frame.height
    plot_w, plot_h = frame.plot_size
    peak = max((b.total for b in bars), default=0)
    if any(b.note for b in bars):
        peak *= 1.12  # room for the notes above the tallest bar
    y_max = _nice_max(peak)
    count = max(len(bars), 1)
    step = plot_w / count
    bar_w = max(2.0, step * 0.68)
    parts = [f'<g class="grid" stroke="{GRID}" stroke-width="1">']
    labels = []
    for k in range(5):
        v = y_max * k / 4
        yy = top + plot_h * (1 - k / 4)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(yy)}" y2="{_num(yy)}"/>')
        labels.append(_y_label(left - 8, yy + 4, y_format(v)))
    parts.append("</g>")
    label_every = 1 if count <= 16 else 2
    parts.append(f'<g class="axis" fill="{AXIS_TEXT}">' + "".join(labels))
    for i, bar in enumerate(bars):
        if i % label_every == 0:
            parts.append(
                f'<text x="{_num(left + step * (i + 0.5))}" y="{height - 8}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    parts.append("</g>")
    for i, bar in enumerate(bars):
        x0 = left + step * (i + 0.5) - bar_w / 2
        base = top + plot_h
        rects = []
        for segment in bar.segments:
            if segment.value <= 0:
                continue
            h = plot_h * segment.value / y_max
            base -= h
            rects.append(
                f'<rect x="{_num(x0)}" y="{_num(base)}" width="{_num(bar_w)}" '
                f'height="{_num(h)}" fill="{segment.colour}"/>'
            )
        hit = (
            f'<rect x="{_num(left + step * i)}" y="{top}" width="{_num(step)}" '
            f'height="{plot_h}" fill="transparent"/>'
        )
        note = ""
        if bar.note and bar.total > 0:
            note = (
                f'<text class="note" x="{_num(left + step * (i + 0.5))}" y="{_num(base - 6)}" '
                f'text-anchor="middle" fill="{AXIS_TEXT}">{escape(bar.note)}</text>'
            )
        body = f'<g class="bar">{_title(bar.title)}{hit}{"".join(rects)}{note}</g>'
        parts.append(_link(body, bar.href, bar.title))
    linked = any(b.href for b in bars)
    return frame.svg("".join(parts), linked)


def _nice_max(peak: float) -> float:
    """A round axis maximum at or above ``peak`` whose quarters are whole numbers."""
    quarter = max(peak, 1.0) / 4
    magnitude = 10 ** math.floor(math.log10(quarter)) if quarter >= 1 else 1
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step >= quarter and step == int(step):
            return float(step * 4)
    return float(40 * magnitude)


def meter(fraction: float, *, colour: str = ACCENT, label: str = "", width: int = 100) -> str:
    """A thin horizontal bar filled to ``fraction`` (0..1): a bar-chart row."""
    fraction = min(1.0, max(0.0, fraction))
    filled = _num(width * fraction)
    return (
        f'<svg class="meter" viewBox="0 0 {width} 8" preserveAspectRatio="none" role="img" '
        f'aria-label="{_attr(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="8" rx="4" fill="{EMPTY}"/>'
        f'<rect width="{filled}" height="8" rx="4" fill="{colour}"/></svg>'
    )


def interval_strip(
    value: float | None,
    low: float | None,
    high: float | None,
    *,
    domain: tuple[float, float] = (0.0, 100.0),
    reference: float | None = None,
    label: str = "",
    width: int = 160,
    height: int = 22,
    muted: bool = False,
) -> str:
    """One row of a forest plot: the interval as a bar and the value as a dot.

    Rows of a ranking share ``domain``, so overlapping intervals are visible
    at a glance: two stores whose bars overlap are not really different.
    """
    lo, hi = domain
    pad = 6

    def x(v: float) -> float:
        return pad + (width - 2 * pad) * (min(max(v, lo), hi) - lo) / ((hi - lo) or 1)

    mid = height / 2
    colour = "#9aa3b5" if muted else ACCENT
    parts = [
        f'<line x1="{pad}" x2="{width - pad}" y1="{_num(mid)}" y2="{_num(mid)}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    ]
    if reference is not None:
        rx = _num(x(reference))
        parts.append(_reference_line(rx, rx, 3, height - 3, "1", "2 2"))
    if low is not None and high is not None:
        parts.append(
            f'<rect x="{_num(x(low))}" y="{_num(mid - 4)}" '
            f'width="{_num(max(1.0, x(high) - x(low)))}" '
            f'height="8" rx="4" fill="{colour}" fill-opacity="0.25"/>'
        )
    if value is not None:
        parts.append(
            f'<circle cx="{_num(x(value))}" cy="{_num(mid)}" r="4.5" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
        )
    return (
        f'<svg class="strip" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_attr(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"{_title(label)}{''.join(parts)}</svg>"
    )


@dataclass(frozen=True)
class FunnelDot:
    """One store on a funnel plot: its responses, its share in percent, a tooltip, a link;
    a store ``outside`` the outer limits has its ``name`` written next to its dot."""

    n: int
    value: float
    label: str
    href: str | None = None
    outside: bool = False
    name: str = ""


#: Height of a dot's name on a funnel plot, and the width of one of its letters (about).
FUNNEL_NAME_HEIGHT, FUNNEL_LETTER = 13, 7.2
Box = tuple[float, float, float, float]  # left, right, top, bottom


def _overlaps(box: Box, others: Sequence[Box]) -> bool:
    return any(box[0] < o[1] and o[0] < box[1] and box[2] < o[3] and o[2] < box[3]
               for o in others)


def funnel_names(named: Sequence[tuple[float, float, str]], dots: Sequence[tuple[float, float]],
                 plot: tuple[float, float]) -> str:
    """The names of dots at ``(x, y, name)`` beside them: right of the dot, else left of it,
    else a line lower or higher, where it covers no other name or dot (``dots``: every
    dot's centre) and stays inside the plot's ``(left, right)``.  Hidden from screen
    readers, whose links and titles already name each store."""
    taken: list[Box] = [(x - 5, x + 5, y - 5, y + 5) for x, y in dots]
    texts = []
    for cx, cy, name in sorted(named, key=lambda dot: dot[1]):
        wide = len(name) * FUNNEL_LETTER
        tries = [(side, cy + 4 + FUNNEL_NAME_HEIGHT * shift) for shift in (0, 1, -1, 2, -2)
                 for side in (1, -1)]
        fits = [(side, y) for side, y in tries
                if plot[0] <= (cx + 8 if side > 0 else cx - 8 - wide)
                and (cx + 8 + wide if side > 0 else cx - 8) <= plot[1]]
        side, y = next((found for found in fits if not _overlaps(_name_box(cx, found, wide),
                                                                   taken)),
                       (fits or tries)[0])
        taken.append(_name_box(cx, (side, y), wide))
        texts.append(f'<text x="{_num(cx + 8 * side)}" y="{_num(y)}" '
                     f'text-anchor="{"start" if side > 0 else "end"}">{escape(name)}</text>')
    return (f'<g class="dot-names" fill="{AXIS_TEXT}" font-size="11" font-weight="600" '
            f'aria-hidden="true">{"".join(texts)}</g>') if texts else ""


def _name_box(cx: float, placed: tuple[int, float], wide: float) -> Box:
    """The box a name takes written on ``side`` (1 right, -1 left) of ``cx`` at baseline ``y``."""
    side, y = placed
    x0 = cx + 8 if side > 0 else cx - 8 - wide
    return (x0, x0 + wide, y - 10, y + 3)


def funnel(
    dots: Sequence[FunnelDot],
    target: float,
    limits: Callable[[int], tuple[tuple[float, float], tuple[float, float]]],
    frame: Frame,
    x_label: Formatter = lambda v: f"{v:.0f}",
    y_label: Formatter = lambda v: f"{v:.0f}%",
) -> str:
    """A funnel plot: each store a dot at (responses, CSAT), the chain's CSAT as a dashed
    line, and the inner (95%) and outer (99.8%) limits as curves that narrow with n.

    ``limits(n)`` gives ``((low95, high95), (low998, high998))`` in percent, so the
    maths stays in :mod:`sync.metrics`.  The x axis runs from 0 to the largest
    store; dots outside the outer funnel are drawn filled in the accent colour, with the
    store's name beside them (:func:`funnel_names`).  Each dot's ``<title>`` is its tooltip.
    """
    left, _right, top, _bottom = frame.margins
    width, height = frame.plot_size
    x_step = nice_step(max([d.n for d in dots] + [10]) * 1.04 / 4)  # room for the last dot
    top_n = nice_ceil(max([d.n for d in dots] + [10]) * 1.04, x_step)
    low, high = percent_domain([d.value for d in dots] + [target], minimum_span=40.0)

    def x(n: float) -> float:
        return left + width * n / top_n

    def y(v: float) -> float:
        return top + height * (high - min(max(v, low), high)) / ((high - low) or 1)

    ticks = [low + (high - low) * i / 4 for i in range(5)]
    parts = [f'<line x1="{left}" x2="{left + width}" y1="{_num(y(v))}" y2="{_num(y(v))}" '
             f'stroke="{GRID}" stroke-width="1"/>' for v in ticks]
    steps = [max(1, round(top_n * (i / 60) ** 2)) for i in range(1, 61)]
    for which, dash in ((0, "4 3"), (1, "")):
        for side in (0, 1):
            points = " ".join(f"{_num(x(n))},{_num(y(limits(n)[which][side]))}" for n in steps)
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline class="limit limit-{"95" if which == 0 else "998"}" '
                         f'points="{points}" fill="none" stroke="{AXIS_TEXT}" '
                         f'stroke-width="1"{dashed}/>')
    parts.append(_reference_line(left, left + width, _num(y(target)), _num(y(target)),
                                 "1.5", "6 3", css_class="target"))
    labels = [_y_label(left - 6, y(v) + 4, y_label(v)) for v in ticks]
    x_ticks = [x_step * i for i in range(int(round(top_n / x_step)) + 1)]
    labels += [f'<text x="{_num(x(n))}" y="{frame.height - 10}" '
               f'text-anchor="{"start" if n == 0 else "middle"}">{escape(x_label(n))}</text>'
               for n in x_ticks]
    marks = [_link(f'<circle class="dot{" outside" if d.outside else ""}" cx="{_num(x(d.n))}" '
                   f'cy="{_num(y(d.value))}" r="4.5" fill="{ACCENT if d.outside else "#ffffff"}" '
                   f'stroke="{ACCENT}" stroke-width="1.5"'
                   + ("" if d.href else f' role="img" aria-label="{_attr(d.label)}"')
                   + f'>{_title(d.label)}</circle>', d.href, d.label) for d in dots]
    names = funnel_names([(x(d.n), y(d.value), d.name) for d in dots if d.outside and d.name],
                         [(x(d.n), y(d.value)) for d in dots], (left, left + width))
    body = (_decoration(parts) + f'<g class="axis" fill="{AXIS_TEXT}" font-size="11" '
            f'aria-hidden="true">{"".join(labels)}</g>' + names + "".join(marks))
    return frame.svg(body, linked=any(d.href for d in dots))
