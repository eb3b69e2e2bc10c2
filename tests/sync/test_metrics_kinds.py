"""NPS and CES figures: definitions, intervals that cover what they claim, and the kind rules."""

from __future__ import annotations

import random

import pytest

from sync.metrics import (
    KINDS,
    ces_figure,
    figure,
    kind_of,
    nps_figure,
    score_problem,
    summarize,
    t95,
)


def test_nps_is_promoters_minus_detractors_in_points():
    # 0-6 detract, 7-8 are passive, 9-10 promote: 5 promoters, 3 passives, 2 detractors of 10.
    scores = [(10, 3), (9, 2), (8, 2), (7, 1), (6, 1), (0, 1)]
    got = nps_figure(scores)
    assert got.value == pytest.approx(30.0)
    assert got.responses == 10
    assert got.ci_low < 30 < got.ci_high
    assert got.ci_low >= -100 and got.ci_high <= 100


def test_nps_of_everyone_promoting_is_100_with_an_honest_lower_bound():
    got = nps_figure([(10, 5)])
    assert got.value == 100.0
    assert got.ci_high == 100.0
    assert got.ci_low < 60, "five answers cannot prove an NPS near 100"


@pytest.mark.parametrize(("true", "n"), [((0.5, 0.2), 30), ((0.3, 0.3), 100), ((0.7, 0.05), 15)])
def test_the_nps_interval_covers_the_truth_about_95_percent_of_the_time(true, n):
    rng = random.Random(16)
    promote, detract = true
    truth = (promote - detract) * 100
    covered = 0
    trials = 2000
    for _ in range(trials):
        draws = rng.choices([10, 8, 3], weights=[promote, 1 - promote - detract, detract], k=n)
        got = nps_figure((s, draws.count(s)) for s in (10, 8, 3))
        covered += got.ci_low <= truth <= got.ci_high
    assert 0.93 <= covered / trials <= 0.985


@pytest.mark.parametrize(("df", "table"), [
    (1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281), (30, 2.0423),
    (31, 2.0395), (40, 2.0211), (60, 2.0003), (100, 1.9840), (1000, 1.9623),
])
def test_t_quantiles_match_the_tables(df, table):
    assert t95(df) == pytest.approx(table, abs=2e-4)


def test_t_falls_towards_the_normal_quantile_without_a_step_after_the_table():
    values = [t95(df) for df in range(1, 200)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert t95(100_000) == pytest.approx(1.95998, abs=1e-4)


def test_ces_is_the_mean_with_a_t_interval():
    got = ces_figure([(7, 2), (6, 1), (2, 1)])  # 7, 7, 6, 2: mean 5.5, sd 2.380
    assert got.value == pytest.approx(5.5)
    half = 3.1824 * 2.3805 / 2
    assert got.ci_low == pytest.approx(5.5 - half, abs=0.01)
    assert got.ci_high == pytest.approx(min(7.0, 5.5 + half), abs=0.01)


def test_the_ces_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = random.Random(7)
    weights = [1, 1, 2, 3, 5, 6, 4]
    truth = sum((i + 1) * w for i, w in enumerate(weights)) / sum(weights)
    covered = 0
    for _ in range(2000):
        draws = rng.choices(range(1, 8), weights=weights, k=12)
        got = ces_figure((s, draws.count(s)) for s in range(1, 8))
        covered += got.ci_low <= truth <= got.ci_high
    assert 0.92 <= covered / 2000 <= 0.98


def test_one_ces_answer_claims_nothing():
    got = ces_figure([(4, 1)])
    assert (got.value, got.ci_low, got.ci_high) == (4.0, 1.0, 7.0)


def test_each_kind_takes_its_own_rows_from_mixed_roll_ups():
    rows = [(5, 5, 3), (5, 1, 1), (11, 10, 2), (11, 0, 1), (7, 6, 4)]
    csat = figure("csat", rows)
    assert (csat.responses, csat.value) == (4, summarize([(5, 5, 3), (5, 1, 1)]).csat)
    nps = figure("nps", rows)
    assert (nps.responses, round(nps.value, 1)) == (3, 33.3)
    ces = figure("ces", rows)
    assert (ces.responses, ces.value) == (4, 6.0)
    assert figure("ces", []).value is None


@pytest.mark.parametrize(("scale", "kind"), [(3, "csat"), (4, "csat"), (5, "csat"), (11, "nps"),
                                             (7, "ces")])
def test_the_scale_names_the_kind(scale, kind):
    assert kind_of(scale) == kind


@pytest.mark.parametrize(("kind", "score", "scale", "why"), [
    ("nps", 11, 11, "score 11 is outside the nps scale 0-10"),
    ("nps", 5, 5, "a nps rating has a scale of 11, not 5"),
    ("ces", 0, 7, "score 0 is outside the ces scale 1-7"),
    ("ces", 8, 7, "score 8 is outside the ces scale 1-7"),
    ("csat", 0, 5, "score 0 is outside a 5-face scale"),
    ("csat", 4, 3, "score 4 is outside a 3-face scale"),
    ("csat", 3, 7, "a csat rating has a scale of 3 or 4 or 5, not 7"),
    ("stars", 3, 5, "kind 'stars' is not one of csat, nps, ces"),
])
def test_a_score_that_does_not_fit_its_kind_is_named(kind, score, scale, why):
    assert score_problem(kind, score, scale) == why


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_of_every_kind_fits(kind):
    from sync.metrics import KIND_SCALES, LOWEST

    for scale in KIND_SCALES[kind]:
        for score in range(LOWEST[kind], LOWEST[kind] + scale):
            assert score_problem(kind, score, scale) is None


def test_which_answers_ask_which_follow_up():
    from sync.metrics import sentiment

    def sides(kind: str, scale: int, low: int) -> list[str | None]:
        return [sentiment(kind, score, scale) for score in range(low, low + scale)]

    neg, pos = "negative", "positive"
    assert sides("nps", 11, 0) == [neg] * 7 + [None, None] + [pos, pos]
    assert sides("ces", 7, 1) == [neg, neg, neg, None, None, pos, pos]
    assert sides("csat", 5, 1) == [neg, neg, None, pos, pos]
    assert sides("csat", 4, 1) == [neg, neg, pos, pos]
    assert sides("csat", 3, 1) == [neg, None, pos]
