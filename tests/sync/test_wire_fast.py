"""``parse_ratings`` (the collector's fast path) gives exactly ``parse_rating``'s verdicts."""

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.clock import format_utc, utc_now
from sync.wire import RATING_FIELDS, RatingRow, parse_rating, parse_ratings


def one_by_one(raw):
    """What the model says about one raw rating, in parse_ratings' terms."""
    try:
        return RatingRow.of(parse_rating(raw))
    except ValueError as error:
        return str(error)


def both(raws):
    fast = [str(item) if isinstance(item, ValueError) else item for item in parse_ratings(raws)]
    assert fast == [one_by_one(raw) for raw in raws]
    return fast


def kiosk_rating(**changes):
    return {
        "id": str(uuid.uuid4()), "seq": 7, "store_id": "s1", "kiosk_id": "k1", "score": 4,
        "scale": 5, "created_at": "2026-01-15T22:30:00.123Z", "local_date": "2026-01-16",
        "lang": "fi", "reason": None, "suppressed": False, "survey_version": 3,
    } | changes


def test_a_kiosk_batch_takes_the_fast_path_with_the_same_values():
    raws = [kiosk_rating(seq=i + 1, score=1 + i % 5, reason="queue" if i % 3 else None)
            for i in range(50)]
    rows = both(raws)
    assert all(isinstance(row, RatingRow) for row in rows)
    assert [row.seq for row in rows] == list(range(1, 51))


EDGES = [
    {"id": str(uuid.uuid4()).upper()}, {"id": "{" + str(uuid.uuid4()) + "}"},
    {"id": str(uuid.uuid4()) + "\n"}, {"id": "nope"}, {"seq": True}, {"seq": 0},
    {"seq": 2**53}, {"seq": 1.0}, {"score": 5, "scale": 4}, {"scale": "5"}, {"scale": True},
    {"score": None}, {"created_at": "2026-01-15T22:30:00Z"},
    {"created_at": "2026-02-30T00:00:00.000Z"},
    {"created_at": "2026-01-15T22:30:00.123+00:00"}, {"created_at": "2019-12-31T23:59:59.999Z"},
    {"created_at": format_utc(utc_now() + timedelta(days=2))}, {"local_date": "2026-01-18"},
    {"local_date": "2026-1-16"}, {"local_date": "2026-01-16\n"}, {"lang": "fi\n"},
    {"lang": "x"}, {"lang": "fi-FI"}, {"lang": "ä"}, {"reason": "é"}, {"reason": "a" * 65},
    {"reason": "\ud800"}, {"reason": "bad\x00"}, {"suppressed": 1}, {"suppressed": "yes"},
    {"survey_version": -1}, {"survey_version": False}, {"store_id": "\ud800"},
    {"kiosk_id": 5}, {"extra": "ignored"},
]


def test_edge_cases_agree_with_the_model():
    raws = [kiosk_rating(**change) for change in EDGES]
    raws += [[1], "x", None, {}, {key: value for key, value in kiosk_rating().items()
                                  if key not in ("store_id", "reason", "suppressed")}]
    both(raws)


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 8), st.integers(2**53 - 2, 2**53 + 1),
    st.text(max_size=20), st.sampled_from(["fi", "sv-FI", "queue", "2026-01-16",
                                           "2026-01-15T22:30:00.123Z", str(uuid.uuid4())]),
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(st.dictionaries(st.sampled_from(RATING_FIELDS), VALUES, max_size=4),
                max_size=5))
def test_mutated_ratings_agree_with_the_model(changes):
    both([kiosk_rating(**change) for change in changes])


def test_the_drain_command_allows_the_collectors_largest_batch():
    from kiosk.cli import DRAIN_BATCH
    from sync.wire import MAX_BATCH_RATINGS

    assert DRAIN_BATCH == MAX_BATCH_RATINGS
