"""Benchmark 8: alert rules against planted incidents in the 100-store demo chain.

The chain: the demo's generator (:mod:`sync.collector.demo`: 100 stores, one
to three kiosks each, their hours, busy-hour dips and trends) draws 28 days
of baseline and 28 evaluated days of counted taps, in memory.  Into the
evaluated days go three incidents per store, ``size`` extra unhappy taps
evenly over ``minutes`` (:data:`SIZES` in turn) at a random local time
between 10:00 and 19:00.  Each rule then runs as the evaluator would, every
5 minutes over the whole period (``tests/support/incidents.py``).

Figures per rule: the share of incidents found within 30 minutes of their
start (and at all, up to an hour after their end), the median and p90 delay
to the first alert, false alerts (alerts opened outside every incident) per
store per day, and the share found per incident size.  The default rate rule
runs at its alpha (9e-4) and either side of it (7e-4, 1.2e-3), with the
product's own functions (``incidents.rate_rules``).  Beside it run the funnel
(the previous default, at 3 standard errors) and the candidates of issue #15:
the funnel at 2.75, a per-store Bernoulli CUSUM (odds ratio 3, thresholds 5 and 4.5, over
the last 4 hours at each look) and a scan of 10/15/20/30-minute windows with
the exact binomial tail (alpha 10^-2.75); and the share of incidents whose own
window is unusual at all.  Baseline: HappyOrNot's burst rule in the same run,
on the same taps.  Deterministic (fixed seeds);
no timing is measured.
"""

from __future__ import annotations

from datetime import UTC, datetime

from common import Options, Row, percentile

from sync.collector import alerts
from tests.support import incidents

#: (unhappy taps, minutes) of the planted incidents, taken in turn.
SIZES = ((5, 10), (6, 15), (8, 20), (12, 30))
NOW = datetime(2026, 3, 29, 21, 0, tzinfo=UTC)  # a Sunday evening: four whole weeks before


def run(options: Options) -> list[Row]:
    stores, days = (20, 7) if options.quick else (100, 28)
    chain = incidents.demo_taps(stores, 28, days, seed=3, now=NOW)
    planted = incidents.plant(chain, SIZES, per_store=3, seed=4)
    p0 = incidents.baselines(chain)
    rules = alerts.Rules()
    scores = {
        "funnel": measure(chain, incidents.funnel_rule(rules), p0, planted),
        "funnel 2.75": measure(chain, incidents.funnel_rule(
            alerts.Rules(funnel_sigmas=2.75)), p0, planted),
        "cusum R=3 h=5": measure(chain, incidents.cusum_rule(3.0, 5.0), p0, planted),
        "cusum R=3 h=4.5": measure(chain, incidents.cusum_rule(3.0, 4.5), p0, planted),
        "scan 10-30 min": measure(chain, incidents.scan_rule(), p0, planted),
        **{f"rate alpha {alpha:g}": measure(chain, incidents.rate_rules(
            chain, alerts.Rules(rate_alpha=alpha)), p0, planted)
           for alpha in (7e-4, 9e-4, 1.2e-3)},
        "burst": measure(chain, incidents.burst_rule(rules), p0, planted),
    }
    label = f"8 alert rules, {stores} stores x {days} days, {len(planted)} incidents"
    tails = incidents.strength(chain, planted, p0)
    strong = sum(tail < 1e-3 for tail in tails)
    return rows(label, scores) + [Row(
        label, "incidents whose window is unusual (exact tail < 1e-3)",
        f"{strong / len(tails):.0%}", "-", note="the most any rule that counts unhappy taps"
        " against the store's share can find at about 0.1 false alerts per store per day")]


def measure(chain: incidents.Chain, rule: incidents.Rule | dict[str, incidents.Rule], p0: dict,
            planted: list[incidents.Incident]) -> tuple[incidents.Score, dict]:
    """The rule's score, and its found-within-30-minutes share per incident size."""
    episodes = incidents.evaluate(chain, rule, p0)
    per_size: dict[tuple[int, int], list[int]] = {}
    for incident in planted:
        tally = per_size.setdefault((incident.size, incident.minutes), [0, 0])
        first = incidents.first_alerting(episodes[incident.store_id], incident)
        tally[0] += first is not None and (first - incident.start).total_seconds() <= 1800
        tally[1] += 1
    return incidents.score(episodes, planted, chain), per_size


def rows(label: str, scores: dict[str, tuple[incidents.Score, dict]]) -> list[Row]:
    """Per rule: found within 30 min, found, delays, false alerts; then found per size."""
    burst, burst_sizes = scores["burst"]
    out = []
    for name, (score, sizes) in scores.items():
        base = name != "burst"
        found_30 = score.found_30 / score.incidents
        false = score.false_per_store_day()
        delays = score.delays_min
        out += [
            Row(label, f"{name}: found within 30 min", f"{found_30:.0%}",
                f"{burst.found_30 / burst.incidents:.0%} burst" if base else "-",
                target=">= 90%", met=found_30 >= 0.9),
            Row(label, f"{name}: found within 1 h of the end",
                f"{score.found / score.incidents:.0%}",
                f"{burst.found / burst.incidents:.0%} burst" if base else "-"),
            Row(label, f"{name}: delay to detection, median (p90)",
                f"{percentile(delays, 50):.0f} min ({percentile(delays, 90):.0f})",
                f"{percentile(burst.delays_min, 50):.0f} min burst" if base else "-"),
            Row(label, f"{name}: false alerts per store per day", f"{false:.3f}",
                f"{burst.false_per_store_day():.3f} burst" if base else "-",
                target="<= 0.1", met=false <= 0.1,
                note=f"{score.alerts} alerts opened in all"),
        ]
        for (size, minutes), (found, planted) in sorted(sizes.items()):
            other = burst_sizes[size, minutes]
            out.append(Row(label, f"{name}: {size} unhappy in {minutes} min, found within 30 min",
                           f"{found}/{planted}",
                           f"{other[0]}/{other[1]} burst" if base else "-"))
    return out
