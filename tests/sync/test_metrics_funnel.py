"""Funnel-plot control limits and the exact binomial tail behind the funnel alert rule."""

from __future__ import annotations

import math

import pytest

from sync.metrics import funnel_limit, normal_tail, upper_tail


def test_the_limit_is_p0_plus_k_standard_errors():
    assert funnel_limit(0.1, 100) == pytest.approx(0.19)  # 0.1 + 3 * 0.03
    assert funnel_limit(0.2, 25, sigmas=2) == pytest.approx(0.36)  # 0.2 + 2 * 0.08
    assert funnel_limit(0.12, 20) == pytest.approx(0.12 + 3 * math.sqrt(0.12 * 0.88 / 20))


def test_the_funnel_narrows_as_responses_grow_and_never_passes_one():
    limits = [funnel_limit(0.15, n) for n in (5, 10, 20, 50, 100, 1000)]
    assert limits == sorted(limits, reverse=True)
    assert limits[-1] == pytest.approx(0.15 + 3 * math.sqrt(0.15 * 0.85 / 1000))
    assert funnel_limit(0.5, 1) == 1.0
    assert funnel_limit(0.1, 0) == 1.0  # no responses: nothing is unusual


def test_the_exact_tail_of_a_binomial():
    assert upper_tail(5, 5, 0.5) == pytest.approx(1 / 32)
    # 3 of 10 at 5%: 1 - P(0) - P(1) - P(2)
    expected = 1 - sum(math.comb(10, k) * 0.05**k * 0.95 ** (10 - k) for k in range(3))
    assert upper_tail(3, 10, 0.05) == pytest.approx(expected) == pytest.approx(0.0115, abs=1e-4)
    assert upper_tail(0, 10, 0.3) == 1.0
    assert upper_tail(11, 10, 0.3) == 0.0
    assert upper_tail(1, 10, 0.0) == 0.0 and upper_tail(10, 10, 1.0) == 1.0


def test_the_normal_tail_of_two_and_three_sigmas():
    assert normal_tail(3) == pytest.approx(0.0013499, abs=1e-7)  # "alarm": 1 look in 741
    assert normal_tail(2) == pytest.approx(0.0227501, abs=1e-7)  # "warning": 1 in 44
