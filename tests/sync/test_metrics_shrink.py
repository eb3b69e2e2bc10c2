"""Funnel limits on both sides and empirical-Bayes shrinkage of store CSATs."""

from __future__ import annotations

import math

import pytest

from sync.metrics import Z95, Z998, beta_prior, funnel_limits, shrink


def test_funnel_limits_straddle_the_target_and_narrow_with_n():
    low, high = funnel_limits(0.8, 100)
    assert (low, high) == pytest.approx((0.8 - 1.96 * 0.04, 0.8 + 1.96 * 0.04), abs=1e-3)
    outer = funnel_limits(0.8, 100, Z998)
    assert outer[0] == pytest.approx(0.8 - 3.09 * 0.04, abs=1e-3)
    assert outer[1] == pytest.approx(0.8 + 3.09 * 0.04, abs=1e-3)
    assert funnel_limits(0.8, 10_000)[1] - funnel_limits(0.8, 10_000)[0] < high - low


def test_funnel_limits_stay_inside_zero_and_one():
    assert funnel_limits(0.9, 2, Z998) == (pytest.approx(0.9 - Z998 * math.sqrt(0.09 / 2)), 1.0)
    assert funnel_limits(0.5, 0) == (0.0, 1.0)


# Ten stores from 60% to 96% satisfied on 200 responses each (really different), plus
# the two under test.
CHAIN = [(120 + 8 * i, 200) for i in range(10)]


def test_a_small_perfect_store_is_pulled_towards_the_chain():
    prior = beta_prior([*CHAIN, (4, 4), (950, 1000)])
    chain_mean = prior[0] / (prior[0] + prior[1])
    assert chain_mean == pytest.approx(0.80, abs=0.03)
    small = shrink(4, 4, prior)
    assert 78 < small.value < 90  # 4 of 4 is 100% raw, but 4 taps prove little
    assert small.low < 80 < small.high


def test_a_big_store_barely_moves():
    prior = beta_prior([*CHAIN, (4, 4), (950, 1000)])
    big = shrink(950, 1000, prior)
    assert 93 < big.value < 95
    assert big.high - big.low < 4


def test_the_shrunk_ranking_puts_the_big_store_above_the_lucky_small_one():
    prior = beta_prior([*CHAIN, (4, 4), (950, 1000)])
    assert shrink(950, 1000, prior).value > shrink(4, 4, prior).value


def test_stores_no_more_different_than_chance_are_pooled_hard():
    prior = beta_prior([(8, 10), (9, 10), (7, 10), (8, 10)])
    assert prior[0] + prior[1] == pytest.approx(40)  # capped at the chain's responses
    # Beta(32, 8) + 10 of 10 = Beta(42, 8): mean 84%, not 100%.
    assert shrink(10, 10, prior).value == pytest.approx(84.0)


def test_one_store_gets_a_uniform_prior():
    assert beta_prior([(3, 4)]) == (1.0, 1.0)
    assert beta_prior([]) == (1.0, 1.0)
    alone = shrink(3, 4, (1.0, 1.0))
    assert alone.value == pytest.approx(4 / 6 * 100)
    assert 0 <= alone.low < alone.value < alone.high <= 100
    assert Z95 < Z998
