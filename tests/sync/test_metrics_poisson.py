"""The Poisson upper tail behind the rate alert rule, against values summed exactly."""

from __future__ import annotations

import pytest

from sync.metrics import poisson_tail


@pytest.mark.parametrize(("count", "mean", "tail"), [
    (1, 1.0, 0.6321205588),  # 1 - e^-1
    (3, 0.5, 0.01438767797),
    (10, 2.0, 4.649807502e-05),
    (30, 10.0, 2.509951202e-07),
    (3, 0.05, 2.006749362e-05),  # the rule's floor: 3 unhappy where none are usual
    (5, 20.0, 0.9999830553),
    (60, 12.0, 5.174722742e-23),  # far below what 1 - cdf could resolve
])
def test_the_tail_matches_exact_sums(count, mean, tail):
    assert poisson_tail(count, mean) == pytest.approx(tail, rel=1e-8)


def test_at_least_nothing_is_certain_and_something_from_nothing_impossible():
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(-1, 3.0) == 1.0
    assert poisson_tail(1, 0.0) == 0.0


def test_more_taps_are_rarer_and_a_higher_usual_rate_makes_them_commoner():
    assert poisson_tail(4, 1.0) < poisson_tail(3, 1.0)
    assert poisson_tail(4, 1.0) < poisson_tail(4, 2.0)
