"""``GET /api/v1/export/stream``: every rating reaches a receiver, through its restart.

A receiver thread reads the Server-Sent Events with ``requests`` while a
kiosk keeps uploading to a real collector process (SQLite and PostgreSQL);
it is stopped part-way, as a crashed integration would be, and started again
with ``Last-Event-ID`` set to the last rating it recorded.  Every rating must
arrive; the only repeats allowed are the ones it received but had not
recorded, and they are counted.
"""

from __future__ import annotations

import itertools
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.collector import timeouts
from sync.collector.api import stream
from sync.collector.app import create_app
from sync.collector.settings import Settings
from tests.support.asgi import call
from tests.support.collector import Collector, Store, run_cli

#: The receiver records its cursor every RECORD_EVERY events (a real one commits in batches).
RECORD_EVERY = 7


class Receiver(threading.Thread):
    """Reads the stream until it has ``stop_after`` events (or forever), like an integration.

    ``ids`` are the rating ids in the order received; ``recorded`` is the
    cursor it last saved, which a restarted receiver resumes from.
    """

    def __init__(self, collector: Collector, last_event_id: str | None,
                 stop_after: int | None = None) -> None:
        super().__init__(daemon=True)
        self.collector, self.last_event_id, self.stop_after = collector, last_event_id, stop_after
        self.ids: list[str] = []
        self.cursors: list[int] = []
        self.recorded = last_event_id or "0"
        self.connected = threading.Event()
        self.ended_cleanly = False
        self.response: requests.Response | None = None

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.collector.office_token}"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        with requests.get(self.collector.url + "/api/v1/export/stream", headers=headers,
                          stream=True, timeout=(5, 60)) as response:
            self.response = response
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/event-stream")
            for fields in events(response.iter_lines(decode_unicode=True)):
                self.connected.set()
                if "id" not in fields:
                    continue
                item = json.loads(fields["data"])
                assert fields["event"] == "rating" and str(item["ingest_seq"]) == fields["id"]
                self.ids.append(item["id"])
                self.cursors.append(item["ingest_seq"])
                if len(self.ids) % RECORD_EVERY == 0:
                    self.recorded = fields["id"]
                if self.stop_after is not None and len(self.ids) >= self.stop_after:
                    return  # the connection drops with events unrecorded
            self.ended_cleanly = True


def events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """SSE events as field dicts (the retry hint too; comments skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


@pytest.fixture
def collector(tmp_path: Path, collector_database: str) -> Iterator[Collector]:
    running = Collector(tmp_path, collector_database)
    running.start()
    yield running
    running.stop()


def upload(store: Store, batches: int, size: int, pause: float) -> list[str]:
    """Upload ``batches`` batches of ``size`` ratings; the ids stored."""
    ids = []
    for _ in range(batches):
        ratings = store.ratings([5, 4, 3, 2, 1][:size] * (size // 5 + 1))[:size]
        answer = store.post(ratings)
        assert answer.json()["accepted"] == size, answer.text
        ids += [item["id"] for item in ratings]
        time.sleep(pause)
    return ids


def wait_for(receiver: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.ids) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_every_rating_arrives_through_a_restart_of_the_receiver(collector: Collector):
    store = collector.new_store()
    sent = upload(store, 3, 10, 0)  # stored before anyone listens: the stream starts with them
    first = Receiver(collector, None, stop_after=47)
    first.start()
    sent += upload(store, 8, 10, 0.1)  # while it reads
    first.join(30)
    assert not first.is_alive() and len(first.ids) == 47
    sent += upload(store, 5, 10, 0)  # while nobody listens
    second = Receiver(collector, first.recorded)
    second.start()
    sent += upload(store, 4, 10, 0.1)  # after the restart
    wait_for(second, len(sent) - int(first.recorded), 30)
    received = first.ids + second.ids
    assert set(received) == set(sent)  # none lost
    # Repeats only at the resume point: what it received after its last record.
    repeats = len(received) - len(set(received))
    assert repeats == 47 % RECORD_EVERY == len(set(first.ids) & set(second.ids))
    assert second.ids[:repeats] == first.ids[-repeats:]
    for receiver in (first, second):  # in ingest order, without gaps
        assert receiver.cursors == sorted(receiver.cursors)
    assert second.cursors[0] == int(first.recorded) + 1
    # Near real time: one more rating reaches the listening receiver within 2 s.
    started = time.monotonic()
    last = upload(store, 1, 1, 0)
    wait_for(second, len(second.ids) + 1, 5)
    assert second.ids[-1] == last[0] and time.monotonic() - started < 2.5


def test_after_picks_the_start_and_bad_cursors_or_tokens_are_refused(collector: Collector):
    store = collector.new_store()
    sent = upload(store, 1, 5, 0)
    cursor = collector.export()[0][2]["ingest_seq"]
    url = f"/api/v1/export/stream?after={cursor}"
    with collector.session.get(collector.url + url, stream=True, timeout=(5, 10), headers={
            "Authorization": f"Bearer {collector.office_token}"}) as answer:
        ratings = (f for f in events(answer.iter_lines(decode_unicode=True)) if "id" in f)
        got = [json.loads(fields["data"])["id"] for fields in itertools.islice(ratings, 2)]
    assert got == sent[3:]
    bad = collector.request("GET", "/api/v1/export/stream", collector.office_token,
                            params={"after": "x"})
    assert bad.status_code == 422 and "not a cursor" in bad.json()["detail"]
    bad = collector.request("GET", "/api/v1/export/stream", collector.office_token,
                            headers={"Last-Event-ID": "-1"})
    assert bad.status_code == 422
    assert collector.request("GET", "/api/v1/export/stream",
                             store.staff_token).status_code == 403
    assert collector.request("GET", "/api/v1/export/stream").status_code == 401


def test_a_stopping_server_ends_its_streams_at_once(collector: Collector):
    receiver = Receiver(collector, None)
    receiver.start()
    assert receiver.connected.wait(10)
    started = time.monotonic()
    assert collector.process is not None
    process = collector.process
    collector.stop()  # SIGTERM; uvicorn waits for open answers to finish
    assert time.monotonic() - started < 3
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it ended on
    receiver.join(5)
    assert not receiver.is_alive() and receiver.ended_cleanly


def test_heartbeats_keep_a_quiet_stream_open_and_a_revoked_token_ends_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In this process, with heartbeats every 0.2 s instead of 15 s (and a poll every
    0.05 s, so a heartbeat is not held back by the poll on a busy machine)."""
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.2)
    monkeypatch.setattr(stream, "POLL_S", 0.05)
    database = tmp_path / "collector.db"
    run_cli(database, "store", "add", "hel", "--name", "Kamppi", "--timezone", "UTC")
    token = run_cli(database, "token", "add", "--role", "office").stdout.strip()
    app = create_app(Settings(database=str(database)))
    # Revoked in this process: a CLI process could take seconds to start on a busy machine.
    threading.Timer(1.0, lambda: app.state.storage.revoke_token(1)).start()
    # Should the stream outlive its token, a shutdown after 5 s ends it (and the test fails).
    monkeypatch.setattr(timeouts, "_closing", False)
    threading.Timer(5.0, monkeypatch.setattr, (timeouts, "_closing", True)).start()
    started = time.monotonic()
    answer = call(app, "GET", "/api/v1/export/stream", {"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and 1.0 < time.monotonic() - started < 3
    assert answer.body.startswith(b"retry: 2000\n\n")
    assert answer.body.count(b": heartbeat\n\n") >= 3
