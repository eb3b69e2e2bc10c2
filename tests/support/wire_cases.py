"""One rating's odd fields and the reason the collector gives for each, for the wire tests.

``parse_rating`` alone (tests/sync/test_wire.py) and ``decode_batch`` with the
rating among good ones (tests/sync/test_wire_batch.py) must give the same
verdicts, so both take their cases from this one table.  Each change applies to
a good rating created at 2026-01-15T22:30:00.123Z on local day 2026-01-16.
"""

import uuid
from datetime import timedelta

from sync.clock import format_utc, utc_now

#: (change to a good rating, how the reason it is refused starts; None: accepted)
RATING_CASES = [
    ({"id": str(uuid.uuid4()).upper()}, "id: must be a lowercase UUID"),
    ({"id": "{" + str(uuid.uuid4()) + "}"}, "id: must be a lowercase UUID"),
    ({"id": str(uuid.uuid4()) + "\n"}, "id: must be a lowercase UUID"),
    ({"id": "nope"}, "id: must be a lowercase UUID"),
    ({"id": "not-a-uuid"}, "id: must be a lowercase UUID like 0190c3f2-7a1b-7c3d-8e4f-"),
    ({"id": 5}, "id: Expected `str`, got `int`"),
    ({"seq": True}, "seq: Expected `int`, got `bool`"),
    ({"seq": 0}, "seq: Expected `int` >= 1"),
    ({"seq": 2**53}, "seq: Expected `int` <= 9007199254740991"),
    ({"seq": 1.0}, "seq: Expected `int`, got `float`"),
    ({"score": 5, "scale": 4}, "score 5 is outside a 4-face scale"),
    ({"score": 5, "scale": 3}, "score 5 is outside a 3-face scale"),
    ({"score": 0}, "score: Expected `int` >= 1"),
    ({"score": None}, "score: Expected `int`, got `null`"),
    ({"score": "five"}, "score: Expected `int`, got `str`"),
    ({"scale": "5"}, "scale: Expected `int`, got `str`"),
    ({"scale": True}, "scale: Expected `int`, got `bool`"),
    ({"scale": 7}, "scale: Invalid enum value 7"),
    ({"created_at": "2026-01-15T22:30:00Z"}, "created_at: must be a UTC time"),
    ({"created_at": "2026-01-15T22:30:00"}, "created_at: must be a UTC time like 2026-01-15T"),
    ({"created_at": "2026-01-15T22:30:00.123+00:00"}, "created_at: must be a UTC time"),
    ({"created_at": "2026-01-15T24:30:00.123Z"}, "created_at: must be a UTC time"),
    ({"created_at": "2026-02-30T00:00:00.000Z", "local_date": "2026-02-28"},
     "created_at '2026-02-30T00:00:00.000Z' is not a real day"),
    ({"created_at": "2019-12-31T23:59:59.999Z", "local_date": "2020-01-01"},
     "created_at '2019-12-31T23:59:59.999Z' is not a plausible time"),
    ({"created_at": "1999-01-01T00:00:00.000Z"},
     "created_at '1999-01-01T00:00:00.000Z' is not a plausible time"),
    ({"created_at": "2090-01-01T00:00:00.000Z", "local_date": "2090-01-01"},
     "created_at '2090-01-01T00:00:00.000Z' is not a plausible time"),
    ({"created_at": format_utc(utc_now() + timedelta(days=2)),
      "local_date": (utc_now() + timedelta(days=2)).date().isoformat()}, "created_at '"),
    ({"local_date": "2026-01-18"}, "local_date is more than a day away from created_at"),
    ({"local_date": "2026-03-16"}, "local_date is more than a day away from created_at"),
    ({"local_date": "2026-01-32"}, "local_date '2026-01-32' is not a real day"),
    ({"local_date": "2026-02-30"}, "local_date '2026-02-30' is not a real day"),
    ({"local_date": "2026-1-16"}, "local_date: must be a date like 2026-01-16 (YYYY-MM-DD)"),
    ({"local_date": "16.1.2026"}, "local_date: must be a date like 2026-01-16 (YYYY-MM-DD)"),
    ({"local_date": "2026-01-16\n"}, "local_date: must be a date"),
    ({"lang": "fi\n"}, "lang: must be a language code"),
    ({"lang": ""}, "lang: Expected `str` of length >= 2"),
    ({"lang": "x"}, "lang: Expected `str` of length >= 2"),
    ({"lang": "ä"}, "lang: Expected `str` of length >= 2"),
    ({"lang": "fi-" + "x" * 20}, "lang: Expected `str` of length <= 16"),
    ({"reason": "é"}, "reason: must be a follow-up reason key"),
    ({"reason": "Queue"}, "reason: must be a follow-up reason key"),
    ({"reason": "a" * 65}, "reason: must be a follow-up reason key"),
    ({"reason": "bad\x00"}, "reason: must be a follow-up reason key"),
    ({"reason": 3}, "reason: Expected `str | null`, got `int`"),
    ({"suppressed": 1}, "suppressed: Expected `bool`, got `int`"),
    ({"suppressed": "yes"}, "suppressed: Expected `bool`, got `str`"),
    ({"survey_version": -1}, "survey_version: Expected `int` >= 0"),
    ({"survey_version": False}, "survey_version: Expected `int | null`, got `bool`"),
    ({"kiosk_id": 5}, "kiosk_id: Expected `str | null`, got `int`"),
    ({"score": 4, "scale": 4, "seq": 1}, None),
    ({"lang": "fi-FI"}, None), ({"reason": "queue"}, None), ({"extra": "ignored"}, None),
    ({"store_id": None, "kiosk_id": None, "survey_version": None}, None),
]
