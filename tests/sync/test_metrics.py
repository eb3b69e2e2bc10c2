"""The CSAT rule, Wilson interval and Happy Index: the figures every screen shows."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.metrics import (
    MIN_RESPONSES,
    happy_value,
    is_satisfied,
    summarize,
    summarize_scores,
    too_few,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("scale", "satisfied_faces"), [(5, {4, 5}), (4, {3, 4}), (3, {3})]
)
def test_satisfied_is_top_two_faces_or_top_face_on_three(scale, satisfied_faces):
    assert {s for s in range(1, scale + 1) if is_satisfied(s, scale)} == satisfied_faces


@pytest.mark.parametrize("scale", [0, 2, 6, 10])
def test_unsupported_scale_is_refused(scale):
    with pytest.raises(ValueError, match="3, 4 or 5"):
        is_satisfied(1, scale)


def test_four_of_five_satisfied_is_a_wide_interval():
    summary = summarize_scores([5, 5, 4, 4, 1], scale=5)
    assert summary.responses == 5
    assert summary.satisfied == 4
    assert summary.csat == pytest.approx(80.0)
    # The product brief's example: 4 of 5 is "anything from about 36% to 98%".
    assert summary.ci_low == pytest.approx(37.55, abs=0.01)
    assert summary.ci_high == pytest.approx(96.38, abs=0.01)


def test_happy_index_maps_faces_to_equal_steps():
    assert [happy_value(s, 5) for s in range(1, 6)] == [0, 25, 50, 75, 100]
    assert [round(happy_value(s, 4), 1) for s in range(1, 5)] == [0, 33.3, 66.7, 100]
    assert summarize_scores([1, 5], scale=5).happy_index == 50


def test_mixed_scales_are_each_judged_on_their_own_scale():
    summary = summarize([(5, 4, 2), (3, 2, 2), (3, 3, 1)])
    assert summary.responses == 5
    assert summary.satisfied == 3  # 4-of-5 counts, 2-of-3 (neutral) does not


def test_no_responses_gives_no_figure():
    summary = summarize([], suppressed=3)
    assert summary.csat is None and summary.happy_index is None
    assert summary.suppressed == 3
    assert summary.as_dict()["csat"] is None


def test_as_dict_rounds_and_keys_counts_by_face():
    data = summarize_scores([5, 5, 1], scale=5).as_dict()
    assert data["csat"] == 66.7
    assert data["counts"] == {"1": 1, "5": 2}


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_wilson_interval_contains_the_estimate(successes, n):
    successes = min(successes, n)
    low, high = wilson_interval(successes, n)
    assert 0 <= low <= successes * 100 / n <= high <= 100


@given(st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_csat_is_share_of_top_two(scores):
    summary = summarize_scores(scores, scale=5)
    assert summary.csat == pytest.approx(100 * sum(s >= 4 for s in scores) / len(scores))
    assert sum(summary.counts.values()) == len(scores)


def test_too_few_is_some_responses_under_the_floor():
    """The one rule the dashboard's dimmed cards and the staff screen's note share."""
    assert [too_few(n) for n in (0, 1, MIN_RESPONSES - 1, MIN_RESPONSES)] == [
        False, True, True, False]
    assert too_few(5, floor=5) is False and too_few(4, floor=5) is True
