"""Regions and touchpoints on other pages: the office page's region links, a store's touchpoints.

Not a route module, so that ``pages.py`` may use it (route modules never
import each other); the region page itself is :mod:`~sync.collector.web.regions`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sync.collector import regions, reports
from sync.collector.db.regions import TOUCHPOINTS
from sync.collector.db.storage import Storage
from sync.collector.web import charts
from sync.collector.web.i18n import Translator
from sync.collector.web.render import svg
from sync.collector.web.views import KIND_AXES, kind_view


def region_links(storage: Storage, start: str, end: str,
                 only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The office page's links to the chain's top-level regions (none when it has none),
    or to ``only`` those regions (a caller scoped to them)."""
    query = urlencode({"from": start, "to": end})
    tree = storage.region_tree()
    shown = tree.children.get(None, []) if only is None else only
    return [{"id": region_id, "name": tree.regions[region_id]["name"],
             "href": f"/regions/{region_id}?{query}"}
            for region_id in shown if region_id in tree.regions]


def touchpoint_name(t: Translator, touchpoint: str | None) -> str:
    """A touchpoint as a reader sees it: a known key in their language, free text as typed."""
    if touchpoint is None:
        return t("touchpoint_none")
    return t(f"tp_{touchpoint}") if touchpoint in TOUCHPOINTS else touchpoint


def touchpoint_rows(t: Translator, storage: Storage, store_id: str, start: str, end: str
                    ) -> list[dict[str, Any]]:
    """A store's touchpoints with their figures, a row per touchpoint and kind asked there
    (a CES desk by its CES mean, with a strip on CES's 1-7 axis); empty unless some
    kiosk names one.  A touchpoint where a kiosk stands but that has no responses in the
    period is listed too, with the kind its survey asks, so a new store's page shows
    what its kiosks will ask before any answer arrives."""
    found = regions.touchpoints_report(storage, store_id, start, end)
    answered = {entry["touchpoint"] for entry in found}
    found += [{"touchpoint": point, "figures": [reports.kind_figure(
                  storage.touchpoint_survey(store_id, point).kind, [])]}
              for point in standing_touchpoints(storage, store_id) if point not in answered]
    if all(entry["touchpoint"] is None for entry in found):
        return []
    rows = []
    for entry in found:
        name = touchpoint_name(t, entry["touchpoint"])
        for index, fig in enumerate(entry["figures"]):
            view = kind_view(t, fig)
            rows.append({
                **view, "name": name, "touchpoint": entry["touchpoint"],
                "first": index == 0, "more": index + 1 < len(entry["figures"]),
                "strip": svg(charts.interval_strip(
                    fig["value"], fig["ci_low"], fig["ci_high"], domain=KIND_AXES[fig["kind"]],
                    label=f"{name}: {view['kind_name']} {view['value_text']},"
                          f" {view['range_text']}")),
            })
    return rows


def standing_touchpoints(storage: Storage, store_id: str) -> list[str]:
    """The touchpoints where a kiosk of the store stands now (retired kiosks left out)."""
    return sorted({kiosk["touchpoint"] for kiosk in storage.kiosks(store_id)
                   if kiosk["touchpoint"] and not kiosk["retired_at"]})


def kiosk_contacts(t: Translator, kiosks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A store's kiosks in service (rows of ``reports.kiosks_report``) for its page without
    responses: where each stands and when it last called in, or that it never connected."""
    return [{"id": k["id"], "never": k["last_seen"] is None,
             "touchpoint": touchpoint_name(t, k["touchpoint"]) if k["touchpoint"] else "",
             "contact": t("store_empty_seen", ago=t.ago(k["silent_s"])) if k["last_seen"]
             else t("store_empty_never")}
            for k in kiosks if not k.get("retired_at")]
