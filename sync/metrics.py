"""The figures of each question kind, defined once, used by the kiosk, the collector
and the tests.

CSAT (``csat``, 3, 4 or 5 faces):

- A response is *satisfied* when it is in the top two faces of a 4- or 5-face
  scale, or the top face of a 3-face scale (top-box / top-2-box).
- CSAT = satisfied / counted responses x 100, with a 95% Wilson score interval
  (honest for small samples: 4 of 5 satisfied is about 38%..96%).
- Happy Index (HappyOrNot): faces mapped to equal steps 0..100, averaged.
- Funnel-plot control limits (Spiegelhalter): how far a share on ``n``
  responses may stray above an expected share by chance alone, and the exact
  binomial tail that keeps the limit honest when ``n`` is small; the office's
  funnel plot draws both limits at 95% and 99.8%.
- Shrunk CSAT (empirical Bayes): each store's share pulled towards the chain
  by a beta-binomial prior fitted to all stores, so a small store is neither
  top nor bottom of a ranking by luck.

NPS (``nps``, 0-10): promoters answer 9-10, detractors 0-6; NPS = % promoters
- % detractors, from -100 to 100.  Its 95% interval is the adjusted Wald
interval for a difference of two proportions from one multinomial sample
(Rocks 2016): variance ``(p + d - (p - d)^2) / n`` with 3/4 of a promoter and
of a detractor and 3/2 of a passive added, which keeps the interval honest at
small n where the plain Wald one collapses to a point.

CES (``ces``, a 7-point agree scale, 1 = strongly disagree that it was easy,
7 = strongly agree): the mean with a Student t interval.

Suppressed taps (misuse protection) are never passed in as responses; callers
report them separately.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SCALES = (3, 4, 5)
Z95 = 1.959963984540054
#: Two-sided 99.8% (the funnel plot's outer limits).
Z998 = 3.090232306167813

#: The question kinds, and the scale (number of answers) each one uses.  The
#: scale alone tells the kinds apart, so roll-ups keyed by scale need no kind.
KINDS = ("csat", "nps", "ces")
KIND_SCALES: dict[str, tuple[int, ...]] = {"csat": SCALES, "nps": (11,), "ces": (7,)}
#: The lowest score of each kind (NPS counts from 0, the others from 1).
LOWEST = {"csat": 1, "nps": 0, "ces": 1}
#: Decimals each kind's figure is written with, on the dashboard and the staff screen
#: alike: CSAT ``82 %``, NPS ``31``, CES ``5.4``.
SHOWN_DECIMALS = {"csat": 0, "nps": 0, "ces": 1}
NPS_PROMOTER = 9
NPS_DETRACTOR = 6
#: Fewest responses that make a figure worth judging (the collector's HYMY_MIN_RESPONSES
#: default; the kiosk's staff screen uses it as it is).
MIN_RESPONSES = 30


def too_few(responses: int, floor: int = MIN_RESPONSES) -> bool:
    """Some responses but fewer than ``floor``: one unhappy tap would otherwise make a
    headline ("0 %"), so such a figure is shown dimmed with its wide interval, or not at
    all, and never compared.  The dashboard and the kiosk's staff screen both ask this."""
    return 0 < responses < floor


def kind_of(scale: int) -> str:
    """The question kind a scale belongs to (3-5: csat, 11: nps, 7: ces)."""
    for kind, scales in KIND_SCALES.items():
        if scale in scales:
            return kind
    raise ValueError(f"no question kind has {scale} answers")


def score_problem(kind: str, score: int, scale: int) -> str | None:
    """Why ``score`` on ``scale`` is not an answer to a ``kind`` question, or None."""
    if kind not in KIND_SCALES:
        return f"kind {kind!r} is not one of {', '.join(KINDS)}"
    if scale not in KIND_SCALES[kind]:
        allowed = " or ".join(map(str, KIND_SCALES[kind]))
        return f"a {kind} rating has a scale of {allowed}, not {scale}"
    low, high = LOWEST[kind], LOWEST[kind] + scale - 1
    if not low <= score <= high:
        if kind == "csat":
            return f"score {score} is outside a {scale}-face scale"
        return f"score {score} is outside the {kind} scale {low}-{high}"
    return None


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
    return funnel_limits(p0, n, sigmas)[1]


def funnel_limits(p0: float, n: int, sigmas: float = Z95) -> tuple[float, float]:
    """The lower and upper funnel-plot limits of a share on ``n`` responses around ``p0``.

    ``p0 -/+ sigmas * sqrt(p0 (1 - p0) / n)``, kept inside 0..1 ((0, 1) when
    ``n`` is 0).  The office's funnel plot draws them at :data:`Z95` and
    :data:`Z998` (95% and 99.8%, two-sided): a store outside the 99.8% funnel
    differs from the chain by more than chance at its number of responses.
    """
    if n <= 0:
        return 0.0, 1.0
    half = sigmas * math.sqrt(p0 * (1 - p0) / n)
    return max(0.0, p0 - half), min(1.0, p0 + half)


@dataclass(frozen=True)
class Shrunk:
    """A store's CSAT pulled towards the chain: posterior mean and 95% credible interval,
    in percent."""

    value: float
    low: float
    high: float


def beta_prior(stores: Sequence[tuple[int, int]]) -> tuple[float, float]:
    """The chain's prior ``Beta(a, b)`` for a store's share, from ``(satisfied, n)`` per store.

    Method of moments on the stores' shares: ``m`` their mean, ``v`` their
    variance less the binomial noise each share carries (``m (1 - m) / n``
    on average), so stores that differ no more than chance says are pooled
    hard.  ``a + b = m (1 - m) / v - 1``, capped at the chain's response
    count (``v`` at or below 0 means full pooling).  Fewer than two stores
    with responses give a uniform ``Beta(1, 1)``: there is no chain to learn from.
    """
    seen = [(s, n) for s, n in stores if n > 0]
    if len(seen) < 2:
        return 1.0, 1.0
    shares = [s / n for s, n in seen]
    m = sum(shares) / len(shares)
    spread = sum((p - m) ** 2 for p in shares) / (len(shares) - 1)
    noise = sum(m * (1 - m) / n for _s, n in seen) / len(seen)
    cap = float(sum(n for _s, n in seen))
    between = spread - noise
    strength = cap if between <= 0 else min(cap, max(m * (1 - m) / between - 1, 1e-6))
    return m * strength, (1 - m) * strength


def shrink(satisfied: int, n: int, prior: tuple[float, float], z: float = Z95) -> Shrunk:
    """A store's share shrunk towards the chain (empirical Bayes, beta-binomial).

    The posterior is ``Beta(s + a, n - s + b)``: its mean ``(s + a) / (n + a + b)``
    is the shrunk CSAT, so 4 of 4 at a small store lands near the chain while
    950 of 1000 barely moves.  The 95% credible interval is the normal
    approximation of that Beta (mean +/- z standard deviations, kept in 0..1):
    no scipy, one line per store at any chain size, and close to the exact
    quantiles once ``a + b + n`` is in the tens, which the pooled prior ensures
    for all but the tiniest chains.
    """
    a, b = satisfied + prior[0], n - satisfied + prior[1]
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    return Shrunk(mean * 100, max(0.0, mean - z * sd) * 100, min(1.0, mean + z * sd) * 100)


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


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean): how rare ``count`` events are when ``mean`` are usual.

    The rate alert rule's test: unhappy taps arrive at a store's usual rate
    for the hour, and an incident adds taps instead of only shifting the
    share.  The tail is summed upwards from ``count`` (not ``1 - cdf``), so
    the tiny tails an alert threshold needs keep their precision.
    """
    if count <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    term = math.exp(count * math.log(mean) - mean - math.lgamma(count + 1))
    total = 0.0
    k = count
    while term > 0.0 and (term > total * 1e-16 or k < mean):
        total += term
        k += 1
        term *= mean / k
    return min(1.0, total)


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


@dataclass
class Figure:
    """One kind's figure for a set of responses, with its 95% interval.

    ``value`` is CSAT in percent, NPS from -100 to 100, or the CES mean (1-7);
    None when there are no responses.
    """

    kind: str
    responses: int = 0
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    counts: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A JSON-ready dict with rounded figures."""
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2 if self.kind == "ces" else 1)

        return {
            "kind": self.kind, "responses": self.responses, "value": rounded(self.value),
            "ci_low": rounded(self.ci_low), "ci_high": rounded(self.ci_high),
            "counts": {str(k): v for k, v in sorted(self.counts.items())},
        }


def _tally(scores: Iterable[tuple[int, int]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for score, n in scores:
        if n:
            counts[score] = counts.get(score, 0) + n
    return counts


def nps_figure(scores: Iterable[tuple[int, int]]) -> Figure:
    """NPS of ``(score, n)`` pairs on 0-10, with its adjusted Wald 95% interval."""
    counts = _tally(scores)
    n = sum(counts.values())
    figure = Figure("nps", n, counts=counts)
    if not n:
        return figure
    promoters = sum(v for k, v in counts.items() if k >= NPS_PROMOTER)
    detractors = sum(v for k, v in counts.items() if k <= NPS_DETRACTOR)
    figure.value = (promoters - detractors) * 100.0 / n
    adjusted = n + 3
    p, d = (promoters + 0.75) / adjusted, (detractors + 0.75) / adjusted
    half = Z95 * math.sqrt((p + d - (p - d) ** 2) / adjusted)
    figure.ci_low = max(-100.0, (p - d - half) * 100)
    figure.ci_high = min(100.0, (p - d + half) * 100)
    return figure


#: Student's t 0.975 quantiles for 1-30 degrees of freedom (the printed tables).
T95_TABLE = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)


def t95(df: int) -> float:
    """Student's t 0.975 quantile: the table up to 30 degrees of freedom, then Hill's
    (1970) expansion around the normal quantile (within 1e-5 from 30 on)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df <= len(T95_TABLE):
        return T95_TABLE[df - 1]
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def ces_figure(scores: Iterable[tuple[int, int]]) -> Figure:
    """CES mean of ``(score, n)`` pairs on 1-7, with a 95% t interval (none for one answer)."""
    counts = _tally(scores)
    n = sum(counts.values())
    figure = Figure("ces", n, counts=counts)
    if not n:
        return figure
    mean = sum(k * v for k, v in counts.items()) / n
    figure.value = mean
    if n == 1:
        figure.ci_low, figure.ci_high = 1.0, 7.0
        return figure
    variance = sum(v * (k - mean) ** 2 for k, v in counts.items()) / (n - 1)
    half = t95(n - 1) * math.sqrt(variance / n)
    figure.ci_low, figure.ci_high = max(1.0, mean - half), min(7.0, mean + half)
    return figure


def csat_figure(counts: Iterable[tuple[int, int, int]]) -> Figure:
    """CSAT as a :class:`Figure` (from :func:`summarize`, so the rule stays one)."""
    summary = summarize(counts)
    return Figure("csat", summary.responses, summary.csat, summary.ci_low, summary.ci_high,
                  summary.counts)


def figure(kind: str, counts: Iterable[tuple[int, int, int]]) -> Figure:
    """The figure of ``kind`` from ``(scale, score, n)`` counts; other kinds' rows are skipped.

    Roll-ups hold every kind's rows side by side (the scale tells them apart),
    so a caller can hand all of a store's rows over and ask for each kind.
    """
    mine = [(scale, score, n) for scale, score, n in counts if scale in KIND_SCALES[kind]]
    if kind == "csat":
        return csat_figure(mine)
    pairs = [(score, n) for _scale, score, n in mine]
    return nps_figure(pairs) if kind == "nps" else ces_figure(pairs)


#: The answers that ask a follow-up, per kind: CES 1-3 is hard going, 6-7 easy.
CES_LOW_EFFORT = 6
CES_HIGH_EFFORT = 3


def sentiment(kind: str, score: int, scale: int) -> str | None:
    """``negative``, ``positive`` or None (neutral): which follow-up an answer asks.

    Defined once for the kiosk's follow-ups and any figure that splits answers:
    CSAT's bottom faces (1-2 of 4 or 5, 1 of 3; the alerts' "unhappy") and its
    satisfied top faces; NPS detractors (0-6) and promoters (9-10); CES 1-3 (it
    was not easy) and 6-7 (it was).
    """
    if kind == "nps":
        return "negative" if score <= NPS_DETRACTOR else "positive" if score >= NPS_PROMOTER \
            else None
    if kind == "ces":
        return "negative" if score <= CES_HIGH_EFFORT else "positive" if score >= CES_LOW_EFFORT \
            else None
    if score <= scale // 2:
        return "negative"
    return "positive" if is_satisfied(score, scale) else None
