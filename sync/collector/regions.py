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
from dataclasses import dataclass
from typing import Any

from sync.collector import reports
from sync.collector.db.regions import Tree
from sync.collector.db.storage import Storage
from sync.collector.reports import (
    kind_days,
    kind_figure,
    kind_report,
    kinds_present,
)
from sync.collector.tokens import Principal

#: Faces a region's counts are shown with: stores may ask 3, 4 or 5, so all five.
REGION_FACES = 5
Rows = list[tuple[int, int, int, int]]


def region_rows(storage: Storage, tree: Tree, region_id: str, start: str, end: str) -> Rows:
    """``(scale, score, suppressed, n)`` of every store in the region over a period, from
    the running totals (two rows per store and scale, whatever the period's length)."""
    return stores_rows(storage, frozenset(tree.stores_in(region_id)), start, end)


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
    return kind_days(storage.stores_day_counts(tree.stores_in(region_id), start, end), start,
                     end, kind, REGION_FACES)


def region_ranking(storage: Storage, tree: Tree, region_id: str, start: str, end: str,
                   min_responses: int, kind: str = "csat") -> list[dict[str, Any]]:
    """The region's stores ranked by one kind as the office ranks the chain's, renumbered
    within it."""
    return stores_ranking(storage, frozenset(tree.stores_in(region_id)), start, end,
                          min_responses, kind)


# -- a set of stores: a region's, or those of a caller scoped to regions ------------

def stores_rows(storage: Storage, stores: frozenset[str], start: str, end: str) -> Rows:
    """``(scale, score, suppressed, n)`` of a set of stores over a period, from the
    running totals."""
    return [row[1:] for row in storage.period_counts(start, end) if row[0] in stores]


def stores_summary(storage: Storage, stores: frozenset[str], start: str, end: str,
                   kind: str = "csat") -> dict[str, Any]:
    """The figures of one kind of a set of stores over a period, their counts together."""
    return {"stores": len(stores),
            **kind_report(kind, stores_rows(storage, stores, start, end), REGION_FACES)}


def stores_trend(storage: Storage, stores: frozenset[str], start: str, end: str,
                 weekly: bool = False) -> list[dict[str, Any]]:
    """A set of stores' figures per local date, or per week (days without taps included)."""
    return reports.trend_report(storage.stores_day_counts(sorted(stores), start, end),
                                start, end, weekly)


def stores_ranking(storage: Storage, stores: frozenset[str], start: str, end: str,
                   min_responses: int, kind: str = "csat") -> list[dict[str, Any]]:
    """A set of stores ranked by one kind as the office ranks the chain's, renumbered
    within them."""
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


@dataclass(frozen=True)
class OfficeScope:
    """The stores the office pages cover for a caller: the whole chain (``stores`` None),
    or, for an office caller scoped to regions, their regions' stores only, so its
    ranking, funnel, trend and alerts are the chain's narrowed to them."""

    stores: frozenset[str] | None

    @classmethod
    def of(cls, principal: Principal) -> OfficeScope:
        """The scope of a caller who may see the office pages."""
        return cls(principal.region_stores if principal.region_id is not None else None)

    def covers(self, store_id: str) -> bool:
        """True when ``store_id`` is one of the stores these pages show."""
        return self.stores is None or store_id in self.stores

    def ranking(self, storage: Storage, start: str, end: str, min_responses: int,
                kind: str = "csat") -> list[dict[str, Any]]:
        """:func:`reports.ranking_report` over these stores, renumbered within them."""
        if self.stores is None:
            return reports.ranking_report(storage, start, end, min_responses, "ci_low", kind)
        return stores_ranking(storage, self.stores, start, end, min_responses, kind)

    def summary(self, storage: Storage, start: str, end: str, kind: str = "csat"
                ) -> dict[str, Any]:
        """Their figures of one kind together over a period (the chain's when not scoped)."""
        if self.stores is None:
            return reports.chain_summary_report(storage, start, end, kind)
        return stores_summary(storage, self.stores, start, end, kind)

    def kinds(self, storage: Storage, start: str, end: str) -> list[dict[str, Any]]:
        """Their NPS and CES figures over a period, only the kinds they have taps of."""
        if self.stores is None:
            return reports.chain_kinds_report(storage, start, end)
        return reports.other_kinds(stores_rows(storage, self.stores, start, end))

    def trend(self, storage: Storage, start: str, end: str, weekly: bool
              ) -> list[dict[str, Any]]:
        """Their figures per local date or per week."""
        if self.stores is None:
            report = reports.chain_weekly_report if weekly else reports.chain_daily_report
            return report(storage, start, end)
        return stores_trend(storage, self.stores, start, end, weekly)

    def alerts(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The alerts in ``found`` of these stores."""
        return [alert for alert in found if self.covers(alert["store_id"])]
