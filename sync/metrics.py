"""The CSAT rule, defined once, used by the kiosk, the collector and the tests.

- A response is *satisfied* when it is in the top two faces of a 4- or 5-face
  scale, or the top face of a 3-face scale (top-box / top-2-box).
- CSAT = satisfied / counted responses x 100, with a 95% Wilson score interval
  (honest for small samples: 4 of 5 satisfied is about 38%..96%).
- Happy Index (HappyOrNot): faces mapped to equal steps 0..100, averaged.
- Funnel-plot control limits (Spiegelhalter): how far a share on ``n``
  responses may stray above an expected share by chance alone, and the exact
  binomial tail that keeps the limit honest when ``n`` is small.

Suppressed taps (misuse protection) are never passed in as responses; callers
report them separately.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

SCALES = (3, 4, 5)
Z95 = 1.959963984540054


def check_scale(scale: int) -> None:
    """Raise ValueError unless ``scale`` is a supported number of faces."""
    if scale not in SCALES:
        raise ValueError(f"scale must be 3, 4 or 5 faces, not {scale!r}")


def is_satisfied(score: int, scale: int) -> bool:
    """True when ``score`` (1..scale) counts as satisfied on that scale."""
    check_scale(scale)
    top = 1 if scale == 3 else 2
    return score > scale - top


def happy_value(score: int, scale: int) -> float:
    """A face on HappyOrNot's 0..100 ladder: 1 -> 0, scale -> 100, equal steps."""
    check_scale(scale)
    return (score - 1) * 100.0 / (scale - 1)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion, in percent; (0, 100) when n is 0."""
    if n <= 0:
        return 0.0, 100.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half) * 100
    high = 100.0 if successes == n else min(1.0, centre + half) * 100
    return low, high


def funnel_limit(p0: float, n: int, sigmas: float = 3.0) -> float:
    """The upper control limit of a share on ``n`` responses when ``p0`` is expected.

    Spiegelhalter's funnel plot: ``p0 + sigmas * sqrt(p0 (1 - p0) / n)``,
    capped at 1 (1 too when ``n`` is 0).  At 3 standard errors a share above
    the limit happens by chance about once in 740 looks (one-sided normal), at
    2 about once in 44: the usual "alarm" and "warning" lines.  The limit
    narrows as ``n`` grows, which is what makes 2 of 4 unhappy no alert while
    40 of 100 at a store that usually has 10% is one.
    """
    if n <= 0:
        return 1.0
    return min(1.0, p0 + sigmas * math.sqrt(p0 * (1 - p0) / n))


def upper_tail(successes: int, n: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(n, p), summed exactly (n is a window's taps).

    The normal limit above is too lenient for a few responses at a small
    ``p0`` (3 of 10 at 5% is 3.6 standard errors, yet happens 1 time in 87);
    the exact tail says how rare a count really is.
    """
    if successes <= 0:
        return 1.0
    if successes > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    return min(1.0, sum(math.comb(n, k) * p**k * (1 - p) ** (n - k)
                        for k in range(successes, n + 1)))


def normal_tail(sigmas: float) -> float:
    """One-sided P(Z > sigmas) of a standard normal: 0.00135 at 3, 0.0228 at 2."""
    return 0.5 * math.erfc(sigmas / math.sqrt(2))


@dataclass
class Summary:
    """CSAT figures for one set of responses (a day, a store, a period)."""

    responses: int = 0
    satisfied: int = 0
    csat: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    happy_index: float | None = None
    suppressed: int = 0
    counts: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A JSON-ready dict with rounded figures."""
        # Spelled out rather than dataclasses.asdict: a year of daily rows is 365 of these.
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "responses": self.responses, "satisfied": self.satisfied,
            "csat": rounded(self.csat), "ci_low": rounded(self.ci_low),
            "ci_high": rounded(self.ci_high), "happy_index": rounded(self.happy_index),
            "suppressed": self.suppressed,
            "counts": {str(k): v for k, v in sorted(self.counts.items())},
        }


def summarize(counts: Iterable[tuple[int, int, int]], suppressed: int = 0) -> Summary:
    """Summarise ``(scale, score, n)`` counts of counted (not suppressed) responses.

    Scales may be mixed (a store that changed its kiosk from 5 to 3 faces):
    each response is judged on its own scale.
    """
    summary = Summary(suppressed=suppressed)
    happy_total = 0.0
    for scale, score, n in counts:
        if not n:
            continue
        summary.responses += n
        if is_satisfied(score, scale):
            summary.satisfied += n
        happy_total += happy_value(score, scale) * n
        summary.counts[score] = summary.counts.get(score, 0) + n
    if summary.responses:
        summary.csat = summary.satisfied * 100.0 / summary.responses
        summary.ci_low, summary.ci_high = wilson_interval(summary.satisfied, summary.responses)
        summary.happy_index = happy_total / summary.responses
    return summary


def summarize_scores(scores: Iterable[int], scale: int) -> Summary:
    """Summarise a plain list of scores on one scale (handy for tests and the kiosk)."""
    tally: dict[int, int] = {}
    for score in scores:
        tally[score] = tally.get(score, 0) + 1
    return summarize((scale, score, n) for score, n in tally.items())
