"""The charts: well-formed SVG whatever the names in it, geometry that maps values where they
belong, a cell per task and day with its tooltip, bars as long as their percentage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest

from maintd.report.runs import WORST_FIRST, HeatCell, HeatMap
from maintd.report.svg import (
    BAR_TRACK,
    NO_RUNS_COLOUR,
    STATUS_TO_COLOUR,
    TREND_HEIGHT,
    TREND_LEFT,
    TREND_RIGHT,
    TREND_TOP,
    TREND_WIDTH,
    Bar,
    HeatLabels,
    Scale,
    TrendLabels,
    heatmap_chart,
    kpi_bars,
    text_width,
    trend_chart,
)
from maintd.report.trends import TrendChart

SVG = "{http://www.w3.org/2000/svg}"
T = datetime(2026, 11, 25, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script> & \"quotes\""


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - the charts' own output, not untrusted


def having(root: ElementTree.Element, tag: str, css: str) -> list[ElementTree.Element]:
    return [element for element in root.iter(f"{SVG}{tag}")
            if css in (element.get("class") or "").split()]  # fmt: skip


def test_a_scale_maps_its_ends_and_may_point_down() -> None:
    down = Scale(0, 100, 200, 10)
    assert (down(0), down(100), down(50)) == (200, 10, 105)
    assert Scale(5, 5, 0, 10)(5) == 5  # an empty domain: the middle


def test_wide_characters_are_measured_wider() -> None:
    assert text_width("合规率", 10) == 30 and text_width("abc", 10) == pytest.approx(18)


def trend(threshold: float | None = 95.0) -> TrendChart:
    times = [T + timedelta(hours=hour) for hour in range(0, 49, 12)]
    return TrendChart(
        start=T, made=T + timedelta(hours=24), end=T + timedelta(hours=48),
        readings=((T, 50.0), (T + timedelta(hours=24), 60.0)),
        fitted=tuple((at, 50.0 + index * 5) for index, at in enumerate(times)),
        band=tuple((at, 48.0 + index * 5, 52.0 + index * 5) for index, at in enumerate(times)),
        threshold=threshold,
    )  # fmt: skip


def labels(caption: str = "disk") -> TrendLabels:
    return TrendLabels(caption, "readings", "trend", "80 % band", "threshold", "made", "a", "b",
                       "c")  # fmt: skip


def test_the_trend_draws_readings_fit_band_threshold_and_when_it_was_made() -> None:
    root = parse(trend_chart(trend(), labels()))
    (band,) = having(root, "polygon", "band")
    (fit,) = having(root, "polyline", "fit")
    (readings,) = having(root, "polyline", "readings")
    (threshold,) = having(root, "line", "threshold")
    (made,) = having(root, "line", "made")
    assert len(band.get("points", "").split()) == 2 * 5  # upper edge, then lower edge back
    fit_points = [tuple(map(float, pair.split(","))) for pair in fit.get("points", "").split()]
    assert fit_points[0][0] == TREND_LEFT and fit_points[-1][0] == TREND_WIDTH - TREND_RIGHT
    heights = [y for _, y in fit_points]
    assert heights == sorted(heights, reverse=True)  # rising values, falling y
    assert len(readings.get("points", "").split()) == 2
    bottom = TREND_HEIGHT - 64
    assert TREND_TOP < float(threshold.get("y1", "0")) < float(fit_points[-1][1]) < bottom
    assert float(made.get("x1", "0")) == pytest.approx((TREND_LEFT + TREND_WIDTH - TREND_RIGHT) / 2)


def test_a_threshold_far_off_the_data_still_fits_in_the_chart() -> None:
    root = parse(trend_chart(trend(threshold=500.0), labels()))
    (threshold,) = having(root, "line", "threshold")
    assert float(threshold.get("y1", "0")) >= TREND_TOP
    assert not having(parse(trend_chart(trend(threshold=None), labels())), "line", "threshold")


def test_every_text_of_a_chart_is_escaped() -> None:
    svg = trend_chart(trend(), labels(HOSTILE))
    root = parse(svg)  # still well-formed XML
    assert "<script>" not in svg
    assert root.findtext(f"{SVG}title") == HOSTILE


def heatmap(tasks: tuple[str, ...], days: int) -> HeatMap:
    dates = tuple(date(2026, 11, 1) + timedelta(days=index) for index in range(days))
    statuses = [status.value for status in WORST_FIRST] + [None]
    cells = tuple(
        HeatCell(task, day, statuses[(row + column) % len(statuses)],
                 (("OK", 2),) if statuses[(row + column) % len(statuses)] else ())
        for row, task in enumerate(tasks) for column, day in enumerate(dates)
    )  # fmt: skip
    return HeatMap(tasks, dates, cells)


@pytest.mark.parametrize("days", [1, 7, 31])
def test_the_heat_map_has_a_titled_cell_per_task_and_day_coloured_by_status(days: int) -> None:
    tasks = ("backup", HOSTILE)
    data = heatmap(tasks, days)
    root = parse(heatmap_chart(data, HeatLabels("caption", "no runs"),
                               lambda cell: f"{cell.task} {cell.day}: {cell.worst}"))  # fmt: skip
    cells = having(root, "rect", "cell")
    assert len(cells) == len(tasks) * days
    for element, cell in zip(cells, data.cells, strict=True):
        assert element.get("data-task") == cell.task
        assert element.get("data-day") == cell.day.isoformat()
        assert element.get("fill") == STATUS_TO_COLOUR.get(cell.worst or "", NO_RUNS_COLOUR)
        assert element.findtext(f"{SVG}title") == f"{cell.task} {cell.day}: {cell.worst}"
    legend = [text.text for text in having(root, "text", "legend-label")]
    assert legend == [status.value for status in WORST_FIRST] + ["no runs"]
    widths = {element.get("width") for element in cells}
    assert len(widths) == 1


def test_a_bar_is_as_long_as_its_percentage_and_nothing_measured_draws_none() -> None:
    bars = [Bar("on time", 50.0, "50.0 %", "5 of 10"), Bar("fixed", None, "—", "0 of 0"),
            Bar("over", 130.0, "130 %", "?"), Bar(HOSTILE, 100.0, "100 %", HOSTILE)]  # fmt: skip
    root = parse(kpi_bars(bars, "KPIs"))
    assert len(having(root, "rect", "track")) == 4
    lengths = [float(bar.get("width", "0")) for bar in having(root, "rect", "bar")]
    assert lengths == [BAR_TRACK / 2, BAR_TRACK, BAR_TRACK]
    titles = [group.findtext(f"{SVG}title") for group in having(root, "g", "kpi")]
    assert titles == ["5 of 10", "0 of 0", "?", HOSTILE]
