"""The digest's pieces word for word: the headline, the bars, the ranking and the movers.

Each piece of :mod:`sync.collector.notify.digest` turns report rows into what a
reader sees; here known rows go in and the whole of what comes out is compared
(labels, numbers, shares, bar lengths and colours), so a changed word, colour,
limit or comparison shows.  Boundaries are the digest's own rules: a difference
is "clearly" better or worse only when the interval leaves the other figure
outside; a mover needs ``min_responses`` in both weeks.
"""

from __future__ import annotations

from typing import Any

import pytest

from sync.collector.notify.digest import (
    COLOURS,
    FACE_COLOURS,
    Bar,
    Words,
    day_bars,
    face_bars,
    kpi,
    movers,
    ranking_rows,
    reason_bars,
)

EN = Words("en")
ACCENT = COLOURS["accent"]


def figures(csat: float | None, low: float | None, high: float | None, n: int,
            index: float | None = None) -> dict[str, Any]:
    return {"csat": csat, "ci_low": low, "ci_high": high, "responses": n, "happy_index": index}


def test_the_headline_calls_a_difference_only_when_the_interval_leaves_the_other_figure_out():
    up = kpi(EN, figures(80.0, 75.0, 85.0, 100, 1.5), {"csat": 70.0}, "vs the baseline 70%")
    assert up == {"csat": "80%", "ci": "95% CI 75–85%", "responses": "100 responses",
                  "index": "2\u00a0/\u00a0100", "diff": "+10 pts",
                  "against": "vs the baseline 70%",
                  "verdict": "Clearly better: the interval lies above it", "direction": "up"}
    down = kpi(EN, figures(60.0, 55.0, 65.0, 1, None), {"csat": 70.0}, "")
    assert (down["diff"], down["direction"], down["responses"]) == ("−10 pts", "down",
                                                                    "1 response")
    assert down["verdict"] == "Clearly worse: the interval lies below it"
    for low, high in ((70.0, 85.0), (55.0, 70.0)):  # the baseline on the interval's edge
        same = kpi(EN, figures(75.0 if low == 70.0 else 65.0, low, high, 40), {"csat": 70.0}, "")
        assert (same["direction"], same["verdict"]) == ("", "Within chance of it")
    level = kpi(EN, figures(70.0, 60.0, 80.0, 40), {"csat": 70.0}, "")
    assert (level["diff"], level["verdict"]) == ("±0 pts", "Within chance of it")
    for fig, base in ((figures(None, None, None, 0), {"csat": 70.0}),
                      (figures(80.0, 75.0, 85.0, 100), {"csat": None})):
        none = kpi(EN, fig, base, "vs nothing")
        assert (none["diff"], none["verdict"], none["direction"]) == (None, "", "")
    empty = kpi(EN, figures(None, None, None, 0), {"csat": None}, "x")
    assert empty == {"csat": "–", "ci": "", "responses": "No responses", "index": "–",
                     "diff": None, "against": "x", "verdict": "", "direction": ""}


def test_face_bars_run_best_first_coloured_like_the_faces_and_scaled_to_the_biggest():
    bars = face_bars(EN, {"1": 2, "2": 1, "3": 1, "4": 4, "5": 5}, 5)
    assert bars == [
        Bar("Very satisfied", "5", "38%", 100.0, FACE_COLOURS[5]),
        Bar("Satisfied", "4", "31%", 80.0, FACE_COLOURS[4]),
        Bar("Neutral", "1", "8%", 20.0, FACE_COLOURS[3]),
        Bar("Dissatisfied", "1", "8%", 20.0, FACE_COLOURS[2]),
        Bar("Very dissatisfied", "2", "15%", 40.0, FACE_COLOURS[1]),
    ]
    assert FACE_COLOURS == {1: "#d32f2f", 2: "#f57c00", 3: "#f2b800", 4: "#7cb342",
                            5: "#2e7d32"}
    three = face_bars(EN, {"1": 1, "3": 3}, 3)
    assert three == [Bar("Satisfied", "3", "75%", 100.0, "#2e7d32"),
                     Bar("Neutral", "0", "0%", 0.0, "#f2b800"),
                     Bar("Dissatisfied", "1", "25%", 100 / 3, "#d32f2f")]
    # A scale the faces do not know reads as five faces; no taps: empty bars, no shares.
    assert face_bars(EN, {}, 7) == [Bar(label, "0", "–", 0, colour) for label, colour in (
        ("Very satisfied", "#2e7d32"), ("Satisfied", "#7cb342"), ("Neutral", "#f2b800"),
        ("Dissatisfied", "#f57c00"), ("Very dissatisfied", "#d32f2f"))]


def test_reason_bars_show_the_five_most_given_against_the_first():
    given = [{"label": f"R{i}", "responses": 10 - i, "share": (10 - i) * 2.5} for i in range(7)]
    assert reason_bars(EN, {"reasons": given}) == [
        Bar(f"R{i}", str(10 - i), share, (10 - i) * 10.0, ACCENT)
        for i, share in enumerate(("25%", "23%", "20%", "18%", "15%"))]
    assert reason_bars(EN, {"reasons": []}) == []
    assert reason_bars(EN, {"reasons": [{"label": "Q", "responses": 0, "share": None}]}) == [
        Bar("Q", "0", "–", 0, ACCENT)]


def test_the_week_day_by_day_has_csat_as_the_bar_and_responses_as_the_words():
    days = [{"date": "2026-11-30", "csat": 80.0, "responses": 10},
            {"date": "2026-12-01", "csat": None, "responses": 0},
            {"date": "2026-12-02", "csat": 0.0, "responses": 1}]
    assert day_bars(EN, days) == [Bar("Mon 30 Nov", "80%", "10 responses", 80.0, ACCENT),
                                  Bar("Tue 1 Dec", "–", "No responses", 0, ACCENT),
                                  Bar("Wed 2 Dec", "0%", "1 response", 0.0, ACCENT)]


def store(sid: str, rank: int | None, csat: float | None, low: float | None,
          high: float | None, n: int) -> dict[str, Any]:
    return {"store_id": sid, "name": sid.title(), "rank": rank, "csat": csat, "ci_low": low,
            "ci_high": high, "responses": n}


RANKING = [store("a", 1, 90.0, 85.0, 94.0, 200), store("b", 2, 80.0, 72.0, 86.0, 120),
           store("c", 3, 70.0, 60.0, 79.0, 60), store("d", None, 50.0, 20.0, 80.0, 5),
           store("e", 4, 75.0, 70.0, 80.0, 30)]
EARLIER = {"a": store("a", 1, 70.0, 64.0, 76.0, 150), "b": store("b", 2, 82.0, 75.0, 88.0, 100),
           "c": store("c", 3, None, None, None, 0), "e": store("e", 2, 60.0, 55.0, 70.0, 29)}


def test_ranked_stores_then_the_unranked_each_with_its_change_since_the_week_before():
    assert ranking_rows(EN, RANKING, EARLIER) == [
        {"rank": 1, "name": "A", "csat": "90%", "range": "85–94%", "responses": "200",
         "change": "+20 pts", "ranked": True},
        {"rank": 2, "name": "B", "csat": "80%", "range": "72–86%", "responses": "120",
         "change": "−2 pts", "ranked": True},
        {"rank": 3, "name": "C", "csat": "70%", "range": "60–79%", "responses": "60",
         "change": "–", "ranked": True},
        {"rank": "–", "name": "D", "csat": "50%", "range": "20–80%", "responses": "5",
         "change": "–", "ranked": False},
        {"rank": 4, "name": "E", "csat": "75%", "range": "70–80%", "responses": "30",
         "change": "+15 pts", "ranked": True},
    ]
    unknown = ranking_rows(EN, [store("f", None, None, None, None, 0)], {})
    assert unknown == [{"rank": "–", "name": "F", "csat": "–", "range": "–", "responses": "0",
                        "change": "–", "ranked": False}]


def mover(name: str, change: str, up: bool, beyond: bool, before: str, after: str) -> dict:
    return {"name": name, "change": change, "up": up, "beyond": beyond,
            "text": f"{before} the week before, {after} now"}


def test_movers_need_enough_responses_both_weeks_and_are_beyond_chance_only_apart():
    a = mover("A", "+20 pts", True, True, "70%", "90%")
    b = mover("B", "−2 pts", False, False, "82%", "80%")
    # E's intervals touch (70% both): not beyond chance.
    e = mover("E", "+15 pts", True, False, "60%", "75%")
    assert movers(EN, RANKING, EARLIER, 30) == [a, b]  # E had 29 the week before
    assert movers(EN, RANKING, EARLIER, 29) == [a, e, b]
    assert movers(EN, RANKING, EARLIER, 0) == [a, e, b]  # C had none: never compared
    assert movers(EN, RANKING, EARLIER, 201) == []


def test_only_the_three_biggest_movers_ties_by_store_id():
    now = [store(sid, 1, 80.0, 75.0, 85.0, 50) for sid in "wxyz"]
    before = {sid: store(sid, 1, csat, csat - 5, csat + 5, 50)
              for sid, csat in (("w", 70.0), ("x", 90.0), ("y", 75.0), ("z", 90.0))}
    assert movers(EN, now, before, 50) == [
        mover("W", "+10 pts", True, False, "70%", "80%"),
        mover("X", "−10 pts", False, False, "90%", "80%"),
        mover("Z", "−10 pts", False, False, "90%", "80%"),
    ]
    apart = {"w": store("w", 1, 60.0, 50.0, 74.9, 50)}
    assert movers(EN, now[:1], apart, 50)[0]["beyond"] is True
    below = {"w": store("w", 1, 95.0, 85.1, 99.0, 50)}
    assert movers(EN, now[:1], below, 50)[0]["beyond"] is True
    # One response both weeks is enough when the office asks for one (or none).
    one = {"w": store("w", 1, 0.0, 0.0, 79.0, 1)}
    assert movers(EN, [store("w", 1, 100.0, 21.0, 100.0, 1)], one, 0)[0]["up"] is True
    half = {"w": store("w", 1, 79.5, 75.0, 85.0, 50)}
    assert movers(EN, now[:1], half, 50)[0]["up"] is True  # half a point up is up
    steady = {"w": store("w", 1, 80.0, 75.0, 85.0, 50)}
    assert movers(EN, now[:1], steady, 50) == [mover("W", "±0 pts", False, False, "80%", "80%")]


@pytest.mark.parametrize("lang", ["fi", "sv", "en", "de"])
def test_every_piece_has_words_in_every_language(lang):
    w = Words(lang)
    for key in ("verdict_up", "verdict_down", "verdict_same", "no_responses", "mover_text",
                "day_alert_row", "day_alert_open", "day_alert_closed",
                "day_alert_acknowledged", "day_alerts_none"):
        assert w.strings.get(key), (lang, key)
