"""Fingerprints: a group of ratings summed into a few numbers that ``check`` compares
with the same sums of the stored roll-ups, so one sort of the ratings by a coarse key
stands in for a sort and millions of lookups per roll-up.

Each rating's key remainder (what the roll-up keys by besides the group) becomes a
small integer *code*; two independent pseudo-random maps of the code, drawn afresh
for every check (:class:`Mixer`), are summed per group, on the ratings and on the
stored counts (``n`` times the map of the row's code).  Equal sums and counts mean
the group agrees; a wrong group slips through only if both sums of its differences
happen to cancel, about one chance in 2**62.  A map must not be linear in the code:
``f(h) + f(h + 2) == 2 * f(h + 1)`` would let a tap at hour h and one at h + 2 pass
for two at h + 1.  Each is an affine map modulo one prime, squared modulo another
(``SQLite has no XOR``; plain integer arithmetic runs the same on both backends).

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

#: Two primes just below 2**31: a mapped value and its square stay inside 64 bits.
_P1, _P2 = 2_147_483_629, 2_147_483_647
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
    """Two pseudo-random maps of a code (a BIGINT from 0 to 2**34: PostgreSQL's integer
    would overflow) to [0, 2**31),
    as SQL: ``((code * a + b) mod P1)**2 + c mod P2`` with the factors drawn at random."""

    factors: tuple[tuple[int, int, int], ...]

    @classmethod
    def fresh(cls) -> Mixer:
        """New factors (``a`` below 2**28, so ``code * a`` fits in 63 bits)."""
        draw = random.SystemRandom()
        return cls(tuple((draw.randrange(1 << 20, 1 << 28), draw.randrange(_P1),
                          draw.randrange(_P2)) for _ in range(2)))

    def maps(self, code: str) -> list[str]:
        """The two maps of the SQL expression ``code`` (a column or a few columns' sum:
        it is written twice).  Only integers this class drew go into the SQL."""
        out = []
        for a, b, c in self.factors:
            mapped = f"(({code}) * {int(a)} + {int(b)}) % {_P1}"
            out.append(f"(({mapped}) * ({mapped}) + {int(c)}) % {_P2}")
        return out

    def sums(self, code: str, weight: str = "") -> str:
        """``SUM(map)`` of both maps, each times ``weight`` (``n *``) when given."""
        return ", ".join(f"SUM({weight}({mapped}))" for mapped in self.maps(code))


@dataclass
class Sums:
    """A group's count and the sums of its two fingerprints."""

    count: int = 0
    first: int = 0
    second: int = 0

    @classmethod
    def of(cls, values: Sequence[Any]) -> Sums:
        """From a row's count and two sums (NULL, when no row counted, is 0)."""
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
    return ({row[:2]: Sums.of(row[2:5]) for row in rows},
            [(*row[:3], *row[5:]) for row in rows])


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
    return {row[:2]: (Sums.of(row[2:5]), Sums.of(row[5:8])) for row in rows}


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
