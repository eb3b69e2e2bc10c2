"""A small, seeded version of benchmark 8: planted incidents in the demo chain.

20 stores, 7 evaluated days after 28 of baseline, 60 planted incidents; the
seeds are fixed, so the counts are too.  The rules are judged on behaviour
an office notices: how many incidents raise an alert within 30 minutes and
how many alerts come with no incident at all.  docs/alerts.md has the full
100-store figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.collector import alerts
from tests.support import incidents

NOW = datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
SIZES = ((5, 10), (6, 15), (8, 20), (12, 30))


@pytest.fixture(scope="module")
def planted() -> tuple[incidents.Chain, list[incidents.Incident], dict]:
    chain = incidents.demo_taps(20, 28, 7, seed=3, now=NOW)
    found = incidents.plant(chain, SIZES, per_store=3, seed=4)
    return chain, found, incidents.baselines(chain)


def test_the_planted_incidents_are_where_they_were_put(planted):
    chain, found, _ = planted
    assert len(found) == 60 and len({i.store_id for i in found}) == 20
    for incident in found:
        inside = [u for t, u in chain.taps[incident.store_id]
                  if incident.start <= t <= incident.end]
        assert sum(inside) >= incident.size  # the planted taps, all unhappy


def test_the_funnel_rule_finds_big_incidents_and_stays_quiet_otherwise(planted):
    chain, found, p0 = planted
    episodes = incidents.evaluate(chain, incidents.funnel_rule(alerts.Rules()), p0)
    score = incidents.score(episodes, found, chain)
    assert score.false_per_store_day() <= 0.1  # at most 1 false alert per 10 stores a day
    assert score.found_30 >= 0.6 * score.incidents
    big = [i for i in found if i.size == 12]
    assert sum(incidents.first_alerting(episodes[i.store_id], i) is not None for i in big) \
        >= 0.9 * len(big)


def test_happyornots_rule_finds_as_much_but_cries_wolf(planted):
    chain, found, p0 = planted
    score = incidents.score(
        incidents.evaluate(chain, incidents.burst_rule(alerts.Rules()), p0), found, chain)
    assert score.found_30 >= 0.8 * score.incidents
    assert score.false_per_store_day() >= 2  # "2 of 4 unhappy", several times a day


def test_no_rule_can_find_nine_in_ten_when_a_quarter_of_the_incidents_look_like_chance(planted):
    """Issue #15's target is out of reach on these incidents: about a quarter of them leave
    a window that chance alone fills as often as once in a thousand, and a per-store
    Bernoulli CUSUM within the false-alert budget finds no more than the funnel."""
    chain, found, p0 = planted
    tails = incidents.strength(chain, found, p0)
    assert 0.6 * len(found) <= sum(tail < 1e-3 for tail in tails) < 0.9 * len(found)
    cusum = incidents.score(incidents.evaluate(chain, incidents.cusum_rule(3.0, 5.0), p0),
                            found, chain)
    assert cusum.false_per_store_day() <= 0.1
    assert 0.6 * cusum.incidents <= cusum.found_30 < 0.9 * cusum.incidents


def test_the_cusum_piles_up_evidence_and_forgets_it_after_ordinary_taps():
    assert incidents.cusum_steps(0.15, 3.0) == pytest.approx((0.836, -0.262), abs=1e-3)
    t0 = NOW - timedelta(hours=1)
    taps = [(t0 + timedelta(minutes=i), True) for i in range(6)]  # 6 x 0.836 = 5.0
    assert incidents.cusum_alerting(taps, 0.15, 3.0, 5.0)
    assert not incidents.cusum_alerting(taps[:5], 0.15, 3.0, 5.0)
    calm = [(t0 + timedelta(minutes=10 + i), False) for i in range(20)]  # 20 x 0.262 > 5
    assert not incidents.cusum_alerting(taps + calm, 0.15, 3.0, 5.0)
    assert incidents.cusum_alerting(taps + calm[:10], 0.15, 3.0, 5.0)  # still open


def test_the_rate_rule_finds_more_than_the_funnel_within_the_false_alert_budget(planted):
    """Counting unhappy taps against the store's usual rate for the hour and day type is
    not diluted by the incident's own taps: it finds nearly nine in ten incidents within
    30 minutes (53 of 60 here), the small ones far more often than the funnel, and cries
    wolf no more than once per ten stores a day."""
    chain, found, p0 = planted
    rate = incidents.evaluate(chain, incidents.rate_rules(chain, alerts.Rules()), p0)
    funnel = incidents.evaluate(chain, incidents.funnel_rule(alerts.Rules()), p0)
    score = incidents.score(rate, found, chain)
    assert score.false_per_store_day() <= 0.1
    assert score.found_30 >= 0.88 * score.incidents
    assert score.found_30 > incidents.score(funnel, found, chain).found_30

    def small_found(episodes: dict) -> int:
        return sum(1 for i in found if i.size <= 6
                   and (first := incidents.first_alerting(episodes[i.store_id], i)) is not None
                   and first - i.start <= timedelta(minutes=30))
    assert small_found(rate) >= 1.5 * small_found(funnel)
