"""Figures per region and per touchpoint, from the same roll-ups as a store's.

A region's figures are its stores' counts added together (every store in the
region and its sub-regions), then summarised once with
:func:`sync.metrics.summarize`: so a region's CSAT is the share of all its
satisfied responses, with a Wilson interval over all of them, not an average
of store percentages.  A period summary comes from the running totals (two rows
per store, whatever the period's length); a trend from the daily roll-up.  A
touchpoint's figures are its kiosks' daily counts (:mod:`sync.collector.db.regions`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sync.collector import reports
from sync.collector.db.regions import Tree
from sync.collector.db.storage import Storage
from sync.collector.reports import days_between, figures, summarize_rows

#: Faces a region's counts are shown with: stores may ask 3, 4 or 5, so all five.
REGION_FACES = 5


def region_summary(storage: Storage, tree: Tree, region_id: str, start: str, end: str
                   ) -> dict[str, Any]:
    """A region's figures over a period: every store in it and its sub-regions together."""
    stores = set(tree.stores_in(region_id))
    rows = [row[1:] for row in storage.period_counts(start, end) if row[0] in stores]
    return {"stores": len(stores), **figures(summarize_rows(rows), REGION_FACES)}


def region_daily(storage: Storage, tree: Tree, region_id: str, start: str, end: str
                 ) -> list[dict[str, Any]]:
    """A region's figures per local date (days without taps included)."""
    by_day: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for day, *counts in storage.stores_day_counts(tree.stores_in(region_id), start, end):
        by_day[day].append(tuple(counts))
    return [{"date": day, **figures(summarize_rows(by_day.get(day, ())), REGION_FACES)}
            for day in days_between(start, end)]


def region_ranking(storage: Storage, tree: Tree, region_id: str, start: str, end: str,
                   min_responses: int) -> list[dict[str, Any]]:
    """The region's stores ranked as the office ranks the chain's, renumbered within it."""
    stores = set(tree.stores_in(region_id))
    entries = [entry for entry in reports.ranking_report(storage, start, end, min_responses)
               if entry["store_id"] in stores]
    ranked = [entry for entry in entries if entry["rank"] is not None]
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    return entries


def subregions(storage: Storage, tree: Tree, region_id: str | None, start: str, end: str
               ) -> list[dict[str, Any]]:
    """The regions directly under ``region_id`` (None: the chain's top level) with figures."""
    counts = storage.period_counts(start, end)
    result = []
    for child in tree.children.get(region_id, []):
        stores = set(tree.stores_in(child))
        rows = [row[1:] for row in counts if row[0] in stores]
        result.append({"id": child, "name": tree.regions[child]["name"], "stores": len(stores),
                       **figures(summarize_rows(rows), REGION_FACES)})
    return result


def touchpoints_report(storage: Storage, store_id: str, start: str, end: str
                       ) -> list[dict[str, Any]]:
    """A store's figures per touchpoint (kiosks without one as ``touchpoint: null``),
    most responses first."""
    by_point: dict[str | None, list[tuple[int, int, int, int]]] = defaultdict(list)
    for point, *counts in storage.touchpoint_counts(store_id, start, end):
        by_point[point].append(tuple(counts))
    scale = reports.faces(storage, store_id)
    result = [{"touchpoint": point, **figures(summarize_rows(rows), scale)}
              for point, rows in by_point.items()]
    result.sort(key=lambda entry: (-entry["responses"], entry["touchpoint"] or "~"))
    return result
