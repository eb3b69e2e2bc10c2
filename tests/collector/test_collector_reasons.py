"""Only reason keys the store's surveys offer are stored (issue 13b).

``reason`` is the key of a follow-up button, so free text posing as one is
rejected per rating with a verdict.  Every key a survey version of the store
ever offered stays valid (a kiosk may still show an older version), and so do
the built-in keys a kiosk offers before its store has a survey.
"""

from __future__ import annotations

from kiosk.config import KNOWN_POSITIVE_REASONS, KNOWN_REASONS
from sync.survey import BUILT_IN_REASONS


def set_survey(server, store, reasons: list[str]) -> int:
    """Give the store a new survey version offering ``reasons``; its version."""
    body = {"scale": 5, "questions": {"en": "How did we do?"}, "reasons": reasons}
    put = server.request("PUT", f"/api/v1/stores/{store.store_id}/survey", server.admin_token,
                         json=body)
    assert put.status_code in (200, 201), put.text
    return put.json()["version"]


def reasons_stored(store, day: str) -> dict[str, int]:
    found = store.get("/reasons", **{"from": day, "to": day}).json()
    return {row["reason"]: row["responses"] for row in found["reasons"]}


def test_free_text_posing_as_a_reason_is_rejected_with_a_verdict(collector_store):
    ratings = collector_store.ratings([1, 2, 1])
    ratings[0]["reason"] = "queue"
    ratings[1]["reason"] = "the cashier was rude to me"
    ratings[2]["reason"] = "Queue"
    answer = collector_store.post(ratings)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (1, 2)
    assert [(item["id"], item["seq"], item["status"]) for item in result["items"]] == [
        (ratings[1]["id"], ratings[1]["seq"], "rejected"),
        (ratings[2]["id"], ratings[2]["seq"], "rejected")]
    for item in result["items"]:  # neither is a key: refused as it arrives
        assert item["reason"].startswith("reason: ") and "survey" in item["reason"]
    assert reasons_stored(collector_store, ratings[0]["local_date"]) == {"queue": 1}


def test_keys_of_every_survey_version_of_the_store_stay_valid(collector_server,
                                                             collector_store):
    set_survey(collector_server, collector_store, ["parking", "queue"])
    first = collector_store.ratings([1], reason="parking", survey_version=1)
    assert collector_store.post(first).json()["accepted"] == 1
    set_survey(collector_server, collector_store, ["wifi"])
    # A kiosk still showing version 1, one showing version 2, and a key never offered.
    later = [*collector_store.ratings([2], reason="parking", survey_version=1),
             *collector_store.ratings([1], reason="wifi", survey_version=2),
             *collector_store.ratings([2], reason="elevator", survey_version=2)]
    result = collector_store.post(later).json()
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert result["items"][0]["id"] == later[2]["id"]
    assert "'elevator'" in result["items"][0]["reason"]
    # The built-in keys stay valid too.
    assert collector_store.post(collector_store.ratings([1], reason="staff")).json()[
        "accepted"] == 1


def test_another_stores_survey_keys_are_not_this_stores(collector_server, collector_store):
    other = collector_server.new_store()
    set_survey(collector_server, other, ["sauna"])
    assert other.post(other.ratings([1], reason="sauna")).json()["accepted"] == 1
    result = collector_store.post(collector_store.ratings([1], reason="sauna")).json()
    assert (result["accepted"], result["rejected"]) == (0, 1)


def test_built_in_reasons_are_the_kiosks_own():
    assert frozenset(KNOWN_REASONS + KNOWN_POSITIVE_REASONS) == BUILT_IN_REASONS
