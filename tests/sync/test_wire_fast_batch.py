"""``parse_ratings``' whole-batch path (``_fast_batch``) against the item-by-item verdicts.

A batch where every rating passes takes the column-by-column checks; one rating
that might not sends the whole batch item by item.  Either way the answer is
the model's, rating by rating (``test_wire_fast.py`` checks the item path).
"""

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import wire
from sync.wire import RATING_FIELDS, RatingRow, parse_ratings
from tests.sync.test_wire_fast import EDGES, VALUES, both, kiosk_rating


def kiosk_batch(n: int) -> list[dict]:
    return [kiosk_rating(id=str(uuid.uuid4()), seq=i + 1, score=1 + i % 5,
                         reason=("queue", None, "staff")[i % 3],
                         survey_version=(None, 0, 7)[i % 3], store_id=(None, "s1")[i % 2],
                         suppressed=i % 11 == 0, lang=("fi", "sv", "en-GB")[i % 3])
            for i in range(n)]


def test_a_whole_kiosk_batch_takes_the_column_path(monkeypatch):
    raws = kiosk_batch(500)
    calls = []
    monkeypatch.setattr(wire, "_fast_rating", lambda *a: calls.append(a))
    rows = parse_ratings(raws)
    assert not calls  # not one rating went on its own
    assert all(type(row) is RatingRow for row in rows)
    assert [tuple(row) for row in rows] == [tuple(r[f] for f in RATING_FIELDS) for r in raws]


@pytest.mark.parametrize("change", EDGES)
def test_one_odd_rating_in_a_batch_gets_the_models_verdict(change):
    raws = kiosk_batch(40)
    raws[17] = {**raws[17], **change}
    both(raws)


def test_a_missing_field_or_a_non_object_sends_the_batch_item_by_item():
    raws = kiosk_batch(5)
    del raws[2]["suppressed"]
    both(raws)
    both([*kiosk_batch(3), ["not", "an", "object"]])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.integers(0, 29), st.dictionaries(st.sampled_from(RATING_FIELDS), VALUES, max_size=3))
def test_a_mutated_rating_among_good_ones_agrees_with_the_model(where, change):
    raws = kiosk_batch(30)
    raws[where] = {**raws[where], **change}
    both(raws)
