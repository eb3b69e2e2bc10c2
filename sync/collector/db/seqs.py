"""Per-kiosk sequence tracking: which taps never arrived.

Every kiosk numbers its ratings 1, 2, 3...  The collector keeps the highest seq
it stored and the ranges below it that are still missing.  A late batch fills
a range in; a range that stays open is a tap lost on the way, and the kiosk
status page shows it.  Only the ranges a batch touches are read and rewritten,
so a kiosk with a long history costs no more than a new one.
"""

from __future__ import annotations

from collections.abc import Iterable

Gap = tuple[int, int]


def update_gaps(gaps: list[Gap], max_seq: int, seqs: Iterable[int]) -> tuple[list[Gap], int]:
    """Apply newly stored ``seqs`` to ``gaps`` (inclusive ranges) and ``max_seq``.

    ``gaps`` only needs the ranges that overlap the new seqs; the result
    replaces exactly those.  Returns ``(new_gaps, new_max_seq)``.
    """
    fresh = sorted(set(seqs))
    below = [s for s in fresh if s <= max_seq]
    above = [s for s in fresh if s > max_seq]
    result: list[Gap] = []
    for start, end in sorted(gaps):
        result.extend(_punch(start, end, [s for s in below if start <= s <= end]))
    expected = max_seq + 1
    for seq in above:
        if seq > expected:
            result.append((expected, seq - 1))
        expected = seq + 1
    return result, max(max_seq, above[-1] if above else max_seq)


def _punch(start: int, end: int, hits: list[int]) -> list[Gap]:
    """What remains of the range start..end after removing the sorted ``hits``."""
    pieces, cursor = [], start
    for hit in hits:
        if hit > cursor:
            pieces.append((cursor, hit - 1))
        cursor = hit + 1
    if cursor <= end:
        pieces.append((cursor, end))
    return pieces


def gaps_of(seqs: Iterable[int]) -> tuple[list[Gap], int]:
    """Missing ranges and highest seq of a complete set of seqs (used by ``check``)."""
    return update_gaps([], 0, seqs)
