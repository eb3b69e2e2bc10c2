"""Server-side SVG charts: count what is drawn, check it escapes and stays CSP-clean."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from sync.collector.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """Parse a chart (it must be well-formed XML) and return its root."""
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def points(n: int, missing: tuple[int, ...] = ()) -> list[charts.TrendPoint]:
    return [
        charts.TrendPoint(None) if i in missing else
        charts.TrendPoint(70 + i % 5, 65 + i % 5, 75 + i % 5, f"day {i}", f"/d/{i}")
        for i in range(n)
    ]


def test_trend_draws_one_linked_point_per_day_with_responses():
    root = parse(charts.trend(points(30, missing=(3, 4)), x_labels=[(0, "1.3."), (29, "30.3.")]))
    links = root.findall(f".//{SVG}a")
    assert len(links) == 28
    assert links[0].get("href") == "/d/0"
    assert len(root.findall(f".//{SVG}circle")) == 28
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "day 0" in titles and "day 3" not in titles


def test_trend_breaks_line_and_band_at_days_without_responses():
    root = parse(charts.trend(points(10, missing=(5,))))
    assert len(root.findall(f".//{SVG}polyline")) == 2
    assert len(root.findall(f".//{SVG}polygon")) == 2


def test_trend_band_contains_the_line():
    svg = charts.trend([charts.TrendPoint(80, 70, 90), charts.TrendPoint(60, 50, 70)])
    root = parse(svg)
    band = [tuple(map(float, p.split(","))) for p in
            root.find(f".//{SVG}polygon").get("points").split()]
    line = [tuple(map(float, p.split(","))) for p in
            root.find(f".//{SVG}polyline").get("points").split()]
    upper, lower = band[:2], band[2:][::-1]
    for (_x, y), (_, top), (_, bottom) in zip(line, upper, lower, strict=True):
        assert top <= y <= bottom  # SVG y grows downwards


def test_trend_axis_ticks_are_round_percentages():
    svg = charts.trend(points(5), y_format=lambda v: f"{v:.0f} %")
    labels = re.findall(r'text-anchor="end">([^<]+)<', svg)
    assert labels == ["60 %", "65 %", "70 %", "75 %", "80 %"]


def test_trend_reference_line_has_its_title():
    root = parse(charts.trend(points(3), reference=72.5, reference_label="baseline 73 %"))
    ref = root.find(f".//{SVG}line[@class='reference']")
    assert ref.find(f"{SVG}title").text == "baseline 73 %"


def test_heatmap_draws_every_cell_and_leaves_thin_ones_empty():
    cells = [charts.HeatCell(r, c, None if (r + c) % 5 == 0 else 60 + r * 5, "x", f"{r}/{c}")
             for r in range(7) for c in range(14)]
    root = parse(charts.heatmap(cells, rows=list("MTWTFSS"), columns=[str(h) for h in
                                                                      range(8, 22)],
                                empty_label="too few"))
    coloured = root.findall(f".//{SVG}g[@class='cell']")
    empty = root.findall(f".//{SVG}rect[@class='cell empty']")
    assert len(coloured) + len(empty) == 7 * 14
    assert len(empty) == sum(1 for c in cells if c.value is None)
    assert root.find(f".//{SVG}linearGradient") is not None


def test_viridis_ends_and_readable_text():
    assert charts.viridis(0) == charts.VIRIDIS[0]
    assert charts.viridis(1) == charts.VIRIDIS[-1]
    assert charts.viridis(-3) == charts.VIRIDIS[0] and charts.viridis(7) == charts.VIRIDIS[-1]
    assert charts.text_colour(charts.VIRIDIS[0]) == "#ffffff"
    assert charts.text_colour(charts.VIRIDIS[-1]) == "#111827"


def test_stacked_bars_one_bar_per_hour_and_segments_stack():
    bars = [charts.Bar(str(h), (charts.Segment(h, "#00f"), charts.Segment(2, "#f80")), f"h{h}",
                       note=f"{h}%") for h in range(8, 22)]
    root = parse(charts.stacked_bars(bars))
    groups = root.findall(f".//{SVG}g[@class='bar']")
    assert len(groups) == 14
    first = groups[0].findall(f"{SVG}rect")
    assert len(first) == 3  # hit area + two segments
    assert float(first[1].get("y")) > float(first[2].get("y"))  # second segment on top
    assert groups[0].find(f"{SVG}text").text == "8%"


@pytest.mark.parametrize(("peak", "expected"), [(0, 4), (3, 4), (7, 8), (45, 60), (130, 160)])
def test_bar_axis_maximum_is_round(peak, expected):
    assert charts._nice_max(peak) == expected


def test_interval_strip_and_meter():
    root = parse(charts.interval_strip(80, 75, 85, domain=(60, 100), reference=70, label="A"))
    assert root.find(f"{SVG}title").text == "A"
    assert len(root.findall(f"{SVG}circle")) == 1
    meter = parse(charts.meter(0.25, width=100))
    assert meter.findall(f"{SVG}rect")[1].get("width") == "25"


def test_percent_domain():
    assert charts.percent_domain([None]) == (0, 100)
    assert charts.percent_domain([72, 78]) == (60, 80)
    assert charts.percent_domain([2, 99]) == (0, 100)
    assert charts.percent_domain([95, 99]) == (80, 100)


def test_charts_escape_text_and_use_no_style_attributes():
    evil = '<script>alert("x")</script>'
    svgs = [
        charts.trend([charts.TrendPoint(50, 40, 60, evil, '/x?a=1&b="2"')],
                     x_labels=[(0, evil)], frame=replace(charts.TREND, label=evil)),
        charts.heatmap([charts.HeatCell(0, 0, 70, evil, evil)], rows=[evil], columns=[evil],
                       legend=(evil, evil), empty_label=evil, label=evil),
        charts.stacked_bars([charts.Bar(evil, (charts.Segment(1, "#000"),), evil, note=evil)],
                            frame=replace(charts.BARS, label=evil)),
        charts.interval_strip(50, 40, 60, label=evil),
    ]
    for svg in svgs:
        assert "<script" not in svg
        assert "style=" not in svg
        parse(svg)
