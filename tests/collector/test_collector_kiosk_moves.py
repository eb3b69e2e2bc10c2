"""Issue 14: a kiosk moved to another store loses and misfiles nothing.

The collector keeps where each kiosk stood (``kiosk_moves``) and files each
rating under the store its kiosk stood in when the rating was made, whichever
of the kiosk's stores the rating names: taps it still held when it was moved
go to the old store, taps made after the move to the new one even while its
kiosk.toml names the old store.  A store it never stood in is refused.  These
call the ingest route's functions on a real database (SQLite and PostgreSQL)
in this process; the rows asserted are the collector's.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from click.testing import CliRunner

from sync.clock import format_utc, local_date, parse_utc, utc_now, zone
from sync.collector.api import ingest
from sync.collector.cli import cli
from sync.collector.db.storage import Storage
from sync.collector.tokens import Principal
from sync.survey import Survey
from tests.support.collector import batch, rating

HEL, NYC = "Europe/Helsinki", "America/New_York"


def principal(storage: Storage, kiosk_id: str) -> Principal:
    """The kiosk's principal as a request would see it (its store, its last move)."""
    found = storage.principal(storage.add_token("kiosk", kiosk_id=kiosk_id).token)
    assert found is not None
    return found


def post(storage: Storage, kiosk_id: str, ratings: list[dict]) -> dict:
    """Upload ``ratings`` as kiosk ``kiosk_id``; the collector's answer."""
    data = json.dumps(batch(ratings)).encode()
    result = ingest.handle_batch(storage, principal(storage, kiosk_id), data)
    return json.loads(result.model_dump_json())


def filed(storage: Storage, kiosk_id: str) -> dict[int, tuple[str, str]]:
    """``seq -> (store_id, local_date)`` of the ratings the collector holds from a kiosk."""
    return {row["seq"]: (row["store_id"], row["local_date"]) for row in storage.db.query(
        "SELECT seq, store_id, local_date FROM ratings WHERE kiosk_id = ?", (kiosk_id,))}


def day(at: datetime, tz: str) -> str:
    return local_date(at, zone(tz))


def moved(storage: Storage, kiosk_id: str, store_id: str) -> datetime:
    """Move the kiosk; the instant of the move (ratings made from then on are the new store's)."""
    time.sleep(0.002)  # instants have milliseconds: keep before, move and after apart
    done = storage.move_kiosk(kiosk_id, store_id)
    time.sleep(0.002)
    return parse_utc(done["moved_at"])


def test_taps_made_before_a_move_go_to_the_old_store_and_later_ones_to_the_new(chain_storage):
    storage = chain_storage({"hel": HEL, "nyc": NYC})
    # 23:30 UTC yesterday: already today in Helsinki, still yesterday in New York.
    before = (utc_now() - timedelta(days=1)).replace(hour=23, minute=30)
    assert day(before, HEL) != day(before, NYC)
    move = moved(storage, "hel-k", "nyc")
    after = utc_now()
    ratings = [
        rating(1, 5, at=before, store_id="hel"),   # held by the kiosk through the move
        rating(2, 4, at=before, store_id="nyc"),   # the same, re-sent under the new config
        rating(3, 3, at=before),                   # no store named
        rating(4, 2, at=after, store_id="hel"),    # made in nyc, kiosk.toml not yet changed
        rating(5, 1, at=after, store_id="nyc"),
        rating(6, 5, at=after, store_id="tre"),    # a store it never stood in
    ]
    answer = post(storage, "hel-k", ratings)
    assert (answer["accepted"], answer["rejected"]) == (5, 1), answer
    assert [(item["seq"], item["reason"]) for item in answer["items"]] == [
        (6, "store_id 'tre' does not match this kiosk's token")]
    assert before < move <= after
    # Each in the store it was made in, on that store's own day.
    assert filed(storage, "hel-k") == {
        1: ("hel", day(before, HEL)), 2: ("hel", day(before, HEL)), 3: ("hel", day(before, HEL)),
        4: ("nyc", day(after, NYC)), 5: ("nyc", day(after, NYC))}
    assert sum(row[-1] for row in storage.daily_counts("hel", "2000-01-01", "2100-01-01")) == 3
    assert sum(row[-1] for row in storage.daily_counts("nyc", "2000-01-01", "2100-01-01")) == 2
    assert storage.check() == []  # roll-ups agree with the rows
    # Sent again (an answer lost): filed the same way, so each is a duplicate, not a conflict.
    again = post(storage, "hel-k", ratings[:5])
    assert (again["accepted"], again["duplicate"], again["conflict"]) == (0, 5, 0), again


def test_a_kiosk_moved_twice_files_each_tap_where_it_stood(chain_storage):
    storage = chain_storage({"a": HEL, "b": HEL, "c": NYC})
    in_a = utc_now() - timedelta(hours=2)
    moved(storage, "a-k", "b")
    in_b = utc_now()
    moved(storage, "a-k", "c")
    in_c = utc_now()
    assert storage.stays("a-k", "c").stores == ("a", "b", "c")
    # The kiosk.toml said "a" the whole time; the record decides.
    answer = post(storage, "a-k", [rating(1, at=in_a, store_id="a"),
                                   rating(2, at=in_b, store_id="a"),
                                   rating(3, at=in_c, store_id="a")])
    assert answer["accepted"] == 3, answer
    assert {seq: store for seq, (store, _) in filed(storage, "a-k").items()} == {
        1: "a", 2: "b", 3: "c"}
    # Moving to the store it stands in changes nothing.
    same = storage.move_kiosk("a-k", "c")
    assert (same["moved_from"], same["moved_at"]) == (None, None)
    assert len(storage.stays("a-k", "c").untils) == 2


def test_a_tap_filed_under_the_old_store_may_carry_its_surveys_reason(chain_storage):
    storage = chain_storage({"hel": HEL, "nyc": NYC})
    storage.set_survey("hel", Survey(questions={"en": "How was it?"}, reasons=["sauna"]))
    before = utc_now() - timedelta(hours=1)
    moved(storage, "hel-k", "nyc")
    answer = post(storage, "hel-k", [rating(1, 1, at=before, store_id="hel", reason="sauna"),
                                     rating(2, 1, at=utc_now(), store_id="hel", reason="sauna")])
    # nyc never asked about the sauna: the tap made there with that key is refused.
    assert (answer["accepted"], answer["rejected"]) == (1, 1), answer
    assert "of store 'nyc'" in answer["items"][0]["reason"]
    assert filed(storage, "hel-k") == {1: ("hel", day(before, HEL))}


def test_only_a_batch_reaching_back_past_a_move_reads_the_history(chain_storage):
    storage = chain_storage({"hel": HEL, "nyc": NYC})
    asked: list[str] = []

    def stays(kiosk_id: str) -> object:
        asked.append(kiosk_id)
        return storage.stays(kiosk_id, "nyc")

    def read(kiosk_id: str, ratings: list[dict]) -> tuple[list, list]:
        data = json.dumps(batch(ratings)).encode()
        _, valid, rejected = ingest.read_batch(data, principal(storage, kiosk_id),
                                               lambda: stays(kiosk_id))
        return valid, rejected

    # A kiosk that never moved: another store is refused without a look.
    valid, rejected = read("nyc-k", [rating(1, store_id="hel"), rating(2, store_id="nyc")])
    assert (len(valid), len(rejected), asked) == (1, 1, [])
    earlier = utc_now() - timedelta(hours=1)
    moved(storage, "hel-k", "nyc")
    # The usual batch of a moved kiosk (made since the move, naming its store): the shortcut.
    valid, rejected = read("hel-k", [rating(n, at=utc_now(), store_id="nyc") for n in (1, 2)])
    assert (len(valid), rejected, asked) == (2, [], [])
    # Reaching back: one look for the whole batch.
    valid, rejected = read("hel-k", [rating(n, at=earlier) for n in range(3, 9)])
    assert [rating.store_id for _, rating in valid] == ["hel"] * 6 and asked == ["hel-k"]


def test_kiosk_move_says_what_becomes_of_queued_taps(chain_storage, collector_database):
    storage = chain_storage({"hel": HEL, "nyc": NYC})

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--database", collector_database])
        assert result.exit_code == 0, result.output
        return result.output

    said = run("kiosk", "move", "hel-k", "--store", "nyc")
    move = storage.stays("hel-k", "nyc").untils[0]
    assert 'Kiosk hel-k now stands in nyc; set store_id = "nyc"' in said
    assert (f"Taps it made before {move} (queued on the kiosk or sent again) are filed under"
            " hel; later ones under nyc, whichever store its kiosk.toml names") in said
    assert "filed under" not in run("kiosk", "move", "hel-k", "--store", "nyc")
    assert format_utc(parse_utc(move)) == move
    # Deleting the kiosk takes its history along: a new kiosk of that name starts afresh.
    storage.delete_kiosk("hel-k")
    storage.add_kiosk("hel-k", "hel")
    assert storage.stays("hel-k", "hel").stores == ("hel",)
