"""A small, seeded version of benchmark 8: planted incidents in the demo chain.

20 stores, 7 evaluated days after 28 of baseline, 60 planted incidents; the
seeds are fixed, so the counts are too.  The rules are judged on behaviour
an office notices: how many incidents raise an alert within 30 minutes and
how many alerts come with no incident at all.  docs/alerts.md has the full
100-store figures.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
