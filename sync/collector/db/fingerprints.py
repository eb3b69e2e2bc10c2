"""Fingerprints: a group of ratings summed into a few numbers that ``check`` compares
with the same sums of the stored roll-ups, so one sort of the ratings by a coarse key
stands in for a sort and millions of lookups per roll-up.

Each rating's key remainder (what the roll-up keys by besides the group) becomes a
small integer *code*; a pseudo-random map of the code to 39 bits, drawn afresh for
every check (:class:`Mixer`), is summed per group, on the ratings and on the stored
counts (``n`` times the map of the row's code).  Equal sums and counts mean the
group agrees; a wrong group slips through only if the map's values of its
differences happen to cancel, about one chance in 2**39 (a second, independent map
would make it 2**-70 and cost 10-15% more CPU: measured, docs/performance.md).  The
map must not be linear in the code: ``f(h) + f(h + 2) == 2 * f(h + 1)`` would let a
tap at hour h and one at h + 2 pass for two at h + 1.  It is an affine map modulo a
31-bit prime, squared modulo a 39-bit one (:class:`Mixer`); plain integer
arithmetic (SQLite has no XOR) runs the same on both backends.

- per kiosk and store (:func:`kiosk_sums`): the daily key's remainder (local date,
  scale, score, suppressed), and the kiosk's seq facts on the way;
- per store and local date (:func:`day_sums`): counted taps' local hour, scale and
  score (``hourly_counts``), and their reason, scale and score (``reason_counts``).

Only the groups whose sums differ are compared row by row to name the rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync.collector.db.connection import Connection

#: A prime just below 2**31 for the affine step, one just below 2**39 for the square:
#: a group's sum stays inside 64 bits up to 2**24 ratings (a kiosk's in 90 years at
#: 500 a day); past that both backends stop with an overflow error, never a wrong sum.
_P1, _P2 = 2_147_483_629, 549_755_813_881
#: Keeps SQLite from copying a derived column into every use of it (the subquery
#: becomes a co-routine, each code computed once per rating); PostgreSQL reads it as
#: the usual optimisation fence.
_FENCE = " LIMIT 9223372036854775807 OFFSET 0"
#: The daily key's remainder below its local date: scale (<= 11) * 32 + score * 2 + flag.
_DAILY_CODE = "scale * 32 + score * 2 + suppressed"
#: A local date (``2026-12-03``) as the integer 20261203, times 512 for the code above.
_DATE_CODE = "CAST(replace(local_date, '-', '') AS BIGINT) * 512"
#: More distinct reasons than this are compared row by row, not by fingerprint.
MAX_REASONS = 256


@dataclass(frozen=True)
class Mixer:
    """A pseudo-random map of a code (a BIGINT from 0 to 2**34: PostgreSQL's integer
    would overflow) to [0, 2**39), as SQL: ``g = (code * a + b) mod P1``, then
    ``(g * g + c) mod P2`` with ``a``, ``b`` and ``c`` drawn at random.

    One-to-one on codes below P1 (``a`` is invertible mod P1, and two different
    ``g`` below 2**31 have squares that differ by ``(g - g') * (g + g')``, both
    factors below the prime P2), and not linear: the square breaks any relation
    among codes such as ``f(h) + f(h + 2) == 2 * f(h + 1)``.
    """

    a: int
    b: int
    c: int

    @classmethod
    def fresh(cls) -> Mixer:
        """New factors (``a`` below 2**28, so ``code * a`` fits in 63 bits)."""
        draw = random.SystemRandom()
        return cls(draw.randrange(1 << 20, 1 << 28), draw.randrange(_P1), draw.randrange(_P2))

    def sums(self, code: str, weight: str = "") -> str:
        """``SUM`` of the map of the SQL expression ``code`` (a column or a few
        columns' sum: it is written twice), times ``weight`` (``n *``) when given.
        Only integers this class drew go into the SQL."""
        mapped = f"(({code}) * {int(self.a)} + {int(self.b)}) % {_P1}"
        return f"SUM({weight}((({mapped}) * ({mapped}) + {int(self.c)}) % {_P2}))"


@dataclass
class Sums:
    """A group's count and the sum of its fingerprints."""

    count: int = 0
    total: int = 0

    @classmethod
    def of(cls, values: Sequence[Any]) -> Sums:
        """From a row's count and sum (NULL, when no row counted, is 0)."""
        return cls(*(int(value or 0) for value in values))


def kiosk_sums(conn: Connection, mixer: Mixer) -> tuple[dict[tuple, Sums], list[tuple]]:
    """Per (kiosk, store): the ratings' daily fingerprints, and the rows of seq facts
    (kiosk, store, ratings, distinct seqs, lowest, highest): one sort of the ratings
    by a narrow key."""
    sums = mixer.sums("code")
    sql = (f"SELECT kiosk_id, store_id, COUNT(*), {sums},"  # noqa: S608
           " COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM (SELECT kiosk_id, store_id, seq,"
           f" {_DATE_CODE} + {_DAILY_CODE} AS code FROM ratings{_FENCE}) r"
           " GROUP BY kiosk_id, store_id")
    rows = conn.rows(sql)
    return ({row[:2]: Sums.of(row[2:4]) for row in rows},
            [(*row[:3], *row[4:]) for row in rows])


def stored_kiosk_sums(conn: Connection, mixer: Mixer) -> dict[tuple, Sums]:
    """The same fingerprints of the stored daily counts, per (kiosk, store)."""
    sums = mixer.sums(f"{_DATE_CODE} + {_DAILY_CODE}", "n * ")
    rows = conn.rows(f"SELECT kiosk_id, store_id, SUM(n), {sums}"  # noqa: S608
                     " FROM daily_counts WHERE n <> 0 GROUP BY kiosk_id, store_id")
    return {row[:2]: Sums.of(row[2:]) for row in rows}


def day_sums(conn: Connection, mixer: Mixer, hour: str, hour_params: Sequence[Any],
             reasons: Sequence[str]) -> dict[tuple, tuple[Sums, Sums]]:
    """Per (store, local date): the counted taps' hourly fingerprints (``hour``: their
    local hour as SQL, with ``hour_params``) and those of their reasons (``reasons``:
    the stored ones, numbered in that order; any other reason is 0)."""
    sums, reason = mixer.sums("h") + ", COUNT(r), " + mixer.sums("r"), _reason_code(reasons)
    sql = (f"SELECT store_id, local_date, COUNT(h), {sums} FROM (SELECT store_id, local_date,"
           f" CAST(CASE WHEN suppressed = 0 THEN ({hour}) * 256 + scale * 16 + score END AS BIGINT)"
           " AS h, CAST(CASE WHEN suppressed = 0 AND reason IS NOT NULL"
           f" THEN {reason} END AS BIGINT) AS r FROM ratings{_FENCE}) t"
           " GROUP BY store_id, local_date")
    rows = conn.rows(sql, (*hour_params, *reasons))
    return {row[:2]: (Sums.of(row[2:4]), Sums.of(row[4:6])) for row in rows}


def stored_day_sums(conn: Connection, mixer: Mixer,
                    reasons: Sequence[str]) -> dict[tuple, tuple[Sums, Sums]]:
    """The same fingerprints of the stored hourly and reason counts, per (store, date):
    each table read in its key's order, no sort."""
    found: dict[tuple, tuple[Sums, Sums]] = {}
    sums = mixer.sums("h", "n * ")
    for row in conn.rows(
            f"SELECT store_id, local_date, SUM(n), {sums}"  # noqa: S608
            " FROM (SELECT store_id, local_date, n,"
            " CAST(hour * 256 + scale * 16 + score AS BIGINT) AS h"
            " FROM hourly_counts WHERE n <> 0) s GROUP BY store_id, local_date"):
        found[row[:2]] = (Sums.of(row[2:]), Sums())
    sums, reason = mixer.sums("r", "n * "), _reason_code(reasons)
    for row in conn.rows(
            f"SELECT store_id, local_date, SUM(n), {sums}"  # noqa: S608
            f" FROM (SELECT store_id, local_date, n, CAST({reason} AS BIGINT) AS r"
            " FROM reason_counts WHERE n <> 0) s GROUP BY store_id, local_date", tuple(reasons)):
        found[row[:2]] = (found.get(row[:2], (Sums(),))[0], Sums.of(row[2:]))
    return found


def _reason_code(reasons: Sequence[str]) -> str:
    """A counted tap's reason, scale and score as a code: the reason's number in
    ``reasons`` (one ``?`` each, in order; 0 for any other) times 256, and so on."""
    numbered = " ".join(f"WHEN ? THEN {int(number)}" for number in range(1, len(reasons) + 1))
    reason = f"CASE reason {numbered} ELSE 0 END" if reasons else "0"
    return f"({reason}) * 256 + scale * 16 + score"


def stored_reasons(conn: Connection) -> list[str]:
    """Every reason the stored reason counts name (a few per survey)."""
    return sorted(row[0] for row in conn.rows("SELECT DISTINCT reason FROM reason_counts"))
