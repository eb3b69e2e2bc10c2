"""The CSAT figures at their edges: no responses, one response, all or none
satisfied, zero counts, a face counted on two scales, and the JSON every screen
and export reads them from."""

import pytest

from sync.metrics import Z95, summarize, summarize_scores, wilson_interval


def test_an_empty_sample_is_anything_from_0_to_100():
    assert wilson_interval(0, 0) == (0.0, 100.0)


def test_a_single_response_still_narrows_the_interval():
    # One satisfied shopper of one: somewhere from about 21% to 100%.
    low, high = wilson_interval(1, 1)
    assert low == pytest.approx(100 / (1 + Z95 * Z95))
    assert high == 100.0
    low, high = wilson_interval(0, 1)
    assert low == 0.0
    assert high == pytest.approx(100 - 100 / (1 + Z95 * Z95))


@pytest.mark.parametrize("n", [1, 3, 6, 7, 12, 100])
def test_none_satisfied_has_a_lower_bound_of_exactly_0(n):
    # Computed, centre - half is a hair above zero for some n (3: 5.6e-17).
    assert wilson_interval(0, n)[0] == 0.0
    assert wilson_interval(n, n)[1] == 100.0


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (1, 5, 3.62, 62.45),
    (1, 10, 1.79, 40.42),
    (9, 10, 59.58, 98.21),
])
def test_one_satisfied_or_one_not_gives_the_textbook_interval(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert interval == pytest.approx((low, high), abs=0.01)


def test_summaries_count_no_suppressed_taps_unless_told():
    assert summarize([(5, 5, 1)]).suppressed == 0
    assert summarize([(5, 5, 1)]).as_dict()["suppressed"] == 0
    assert summarize([(5, 5, 1)], suppressed=4).as_dict()["suppressed"] == 4


def test_zero_counts_are_skipped_and_the_rest_still_counted():
    summary = summarize([(5, 1, 0), (5, 5, 2), (5, 3, 0), (5, 2, 1)])
    assert summary.responses == 3
    assert summary.satisfied == 2
    assert summary.counts == {5: 2, 2: 1}
    assert summary.happy_index == pytest.approx((100 + 100 + 25) / 3)


def test_happy_index_weighs_each_face_by_its_count():
    # 3 x face 4 (75) and 1 x face 1 (0) on five faces: 225 / 4.
    assert summarize([(5, 4, 3), (5, 1, 1)]).happy_index == pytest.approx(56.25)
    assert summarize([(5, 1, 1), (5, 4, 3)]).happy_index == pytest.approx(56.25)


def test_a_face_counted_on_two_scales_adds_up():
    # Face 3 is neutral on five faces and top on three: both are face 3 in counts.
    summary = summarize([(5, 3, 2), (3, 3, 1)])
    assert summary.counts == {3: 3}
    assert summary.satisfied == 1
    assert summary.as_dict()["counts"] == {"3": 3}


def test_as_dict_holds_every_figure_rounded_under_its_name():
    summary = summarize_scores([5, 5, 4, 1, 2, 3], scale=5)
    summary.suppressed = 2
    assert summary.as_dict() == {
        "responses": 6,
        "satisfied": 3,
        "csat": 50.0,
        "ci_low": round(wilson_interval(3, 6)[0], 1),
        "ci_high": round(wilson_interval(3, 6)[1], 1),
        "happy_index": round((100 + 100 + 75 + 0 + 25 + 50) / 6, 1),
        "suppressed": 2,
        "counts": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 2},
    }
    assert summary.as_dict()["ci_low"] == 18.8
    assert summary.as_dict()["ci_high"] == 81.2
    assert summary.as_dict()["happy_index"] == 58.3
