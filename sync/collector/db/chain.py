"""The chain's taps per local date (``chain_day_counts``, migration 014).

The office page's chain trend used to sum every store's daily roll-up rows;
at 2 000 stores a month of them is some 700 000 rows.  This table holds the
same counts without the store and the kiosk, kept in the same transaction
as ``daily_counts`` (:func:`chain_days` of the same tallies), so a trend of
any length reads a few rows per date whatever the number of stores.
"""

from __future__ import annotations

from collections import Counter

from sync.collector.db.connection import Connection

#: Key columns of ``chain_day_counts``, in the order :func:`chain_days` keys them.
CHAIN_KEYS = ("local_date", "scale", "score", "suppressed")


def chain_days(daily: Counter) -> Counter:
    """Daily tallies ``(store, date, kiosk, scale, score, suppressed) -> n`` summed
    over stores and kiosks: ``(date, scale, score, suppressed) -> n``."""
    result: Counter = Counter()
    for (_store, day, _kiosk, scale, score, suppressed), n in daily.items():
        result[day, scale, score, suppressed] += n
    return result


def add_chain_days(conn: Connection, daily: Counter) -> None:
    """Add a batch's daily tallies to the chain's per-date counts."""
    conn.add_counts("chain_day_counts", CHAIN_KEYS,
                    [(*key, n) for key, n in chain_days(daily).items() if n])


def chain_day_counts(
    conn: Connection, start: str, end: str
) -> list[tuple[str, int, int, int, int]]:
    """``(local_date, scale, score, suppressed, n)`` of the chain from ``start`` to ``end``."""
    return conn.rows(
        "SELECT local_date, scale, score, suppressed, n FROM chain_day_counts"
        " WHERE local_date >= ? AND local_date <= ? AND n <> 0 ORDER BY local_date",
        (start, end),
    )


def chain_period_counts(
    conn: Connection, start: str, end: str
) -> list[tuple[int, int, int, int]]:
    """``(scale, score, suppressed, n)`` of the whole chain over ``start`` to ``end``:
    a few rows a day summed in SQL, where every store's running totals were
    two rows per store."""
    return conn.rows(
        "SELECT scale, score, suppressed, SUM(n) FROM chain_day_counts"
        " WHERE local_date >= ? AND local_date <= ? GROUP BY scale, score, suppressed"
        " HAVING SUM(n) <> 0",
        (start, end),
    )
