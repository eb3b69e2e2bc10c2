"""Each kind's figure computed from the ratings a collector stored, for tests that check
what the roll-ups give (the API and the pages never read the raw ratings).

``counted_ratings`` reads the counted (not suppressed) ratings of a period with
the store and touchpoint of each; ``planted`` applies :func:`sync.metrics.figure`,
the one definition of each kind, to the ones a test picks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sync.collector.db.storage import Storage
from sync.metrics import figure

#: A counted rating: ``(store_id, touchpoint, scale, score, local_date)``.
Rated = tuple[str, str | None, int, int, str]


def counted_ratings(storage: Storage, start: str, end: str) -> list[Rated]:
    """Every counted rating from ``start`` to ``end`` (local dates), with where it was made."""
    with storage.db.connection() as conn:
        return conn.rows(
            "SELECT r.store_id, k.touchpoint, r.scale, r.score, r.local_date FROM ratings r"
            " JOIN kiosks k ON k.id = r.kiosk_id WHERE r.suppressed = 0"
            " AND r.local_date >= ? AND r.local_date <= ?", (start, end))


def planted(rated: list[Rated], kind: str,
            keep: Callable[[Rated], bool] = lambda row: True) -> dict[str, Any]:
    """``kind``'s figure of the ratings ``keep`` picks, rounded as the API rounds it:
    ``responses, value, ci_low, ci_high`` (CSAT's value is its percent)."""
    counts = Counter((row[2], row[3]) for row in rated if keep(row))
    found = figure(kind, [(scale, score, n) for (scale, score), n in counts.items()]).as_dict()
    return {key: found[key] for key in ("responses", "value", "ci_low", "ci_high")}
