"""Figures per region and per touchpoint, from the same roll-ups as a store's.

A region's figures are its stores' counts added together (every store in the
region and its sub-regions), then summarised once with
:func:`sync.metrics.summarize`: so a region's CSAT is the share of all its
satisfied responses, with a Wilson interval over all of them, not an average
of store percentages.  A period summary comes from the running totals (two rows
per store, whatever the period's length); a trend from the daily roll-up.  A
touchpoint's figures are its kiosks' daily counts (:mod:`sync.collector.db.regions`).
Each figure may be asked for one question kind (``kind``: csat, nps or ces), taken
the same way from all the region's responses of that kind; a touchpoint gives the
figure of every kind asked there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sync.collector import reports
from sync.collector.db.regions import Tree
from sync.collector.db.storage import Storage
from sync.collector.reports import days_between, kind_figure, kind_report, kinds_present

#: Faces a region's counts are shown with: stores may ask 3, 4 or 5, so all five.
REGION_FACES = 5
Rows = list[tuple[int, int, int, int]]


def region_rows(storage: Storage, tree: Tree, region_id: str, start: str, end: str) -> Rows:
    """``(scale, score, suppressed, n)`` of every store in the region over a period, from
    the running totals (two rows per store and scale, whatever the period's length)."""
    stores = set(tree.stores_in(region_id))
    return [row[1:] for row in storage.period_counts(start, end) if row[0] in stores]


def region_summary(storage: Storage, tree: Tree, region_id: str, start: str, end: str,
                   kind: str = "csat") -> dict[str, Any]:
    """A region's figures of one question kind over a period: every store in it and its
    sub-regions together."""
    rows = region_rows(storage, tree, region_id, start, end)
    return {"stores": len(tree.stores_in(region_id)),
            **kind_report(kind, rows, REGION_FACES)}


def region_kinds(storage: Storage, tree: Tree, region_id: str, start: str, end: str
                 ) -> list[dict[str, Any]]:
    """The region's NPS and CES figures over a period, only the kinds its stores ask."""
    return reports.other_kinds(region_rows(storage, tree, region_id, start, end))


def region_daily(storage: Storage, tree: Tree, region_id: str, start: str, end: str,
                 kind: str = "csat") -> list[dict[str, Any]]:
    """A region's figures of one question kind per local date (days without taps included)."""
    by_day: dict[str, Rows] = defaultdict(list)
    for day, *counts in storage.stores_day_counts(tree.stores_in(region_id), start, end):
        by_day[day].append(tuple(counts))  # type: ignore[arg-type]
    return [{"date": day, **kind_report(kind, by_day.get(day, ()), REGION_FACES)}
            for day in days_between(start, end)]


def region_ranking(storage: Storage, tree: Tree, region_id: str, start: str, end: str,
                   min_responses: int, kind: str = "csat") -> list[dict[str, Any]]:
    """The region's stores ranked by one kind as the office ranks the chain's, renumbered
    within it."""
    stores = set(tree.stores_in(region_id))
    entries = [entry for entry in reports.ranking_report(storage, start, end, min_responses,
                                                         kind=kind)
               if entry["store_id"] in stores]
    ranked = [entry for entry in entries if entry["rank"] is not None]
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    return entries


def subregions(storage: Storage, tree: Tree, region_id: str | None, start: str, end: str,
               kind: str = "csat") -> list[dict[str, Any]]:
    """The regions directly under ``region_id`` (None: the chain's top level) with one
    kind's figures."""
    counts = storage.period_counts(start, end)
    result = []
    for child in tree.children.get(region_id, []):
        stores = set(tree.stores_in(child))
        rows = [row[1:] for row in counts if row[0] in stores]
        result.append({"id": child, "name": tree.regions[child]["name"], "stores": len(stores),
                       **kind_report(kind, rows, REGION_FACES)})
    return result


def touchpoints_report(storage: Storage, store_id: str, start: str, end: str
                       ) -> list[dict[str, Any]]:
    """A store's touchpoints (kiosks without one as ``touchpoint: null``), most responses
    first, each with the figure of every kind asked there (``kinds``, ``figures``).

    A CES desk is shown by its CES figure, not as a CSAT point with no
    responses; a touchpoint whose kiosks ask two kinds has a figure for each.
    ``responses`` counts every kind's responses there.
    """
    by_point: dict[str | None, Rows] = defaultdict(list)
    for point, *counts in storage.touchpoint_counts(store_id, start, end):
        by_point[point].append(tuple(counts))  # type: ignore[arg-type]
    result = []
    for point, rows in by_point.items():
        kinds = kinds_present(rows) or ["csat"]
        found = [kind_figure(kind, rows) for kind in kinds]
        result.append({"touchpoint": point, "kinds": kinds,
                       "responses": sum(fig["responses"] for fig in found), "figures": found})
    result.sort(key=lambda entry: (-entry["responses"], entry["touchpoint"] or "~"))
    return result
