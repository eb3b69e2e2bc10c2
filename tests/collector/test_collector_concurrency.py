"""Several collector processes on one database, fed the same and overlapping batches at once.

Collectors keep no state of their own, so two hosts (or uvicorn workers) behind
a load balancer must give exactly the result one would: each rating stored
once, every upload's verdicts adding up, roll-ups equal to a recount from the
raw ratings (``hymy-collector check``), the daily API equal to a recount of the
export with :mod:`sync.metrics`, and an export cursor followed *during* the
uploads that sees every row exactly once.

PostgreSQL: host A runs ``serve --workers 2``, host B one more process.
SQLite: two processes on one database file.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import requests

from sync.clock import utc_now
from sync.metrics import summarize
from tests.support.collector import Collector, batch, rating

KIOSKS = 4
THREADS_PER_KIOSK = 2
BATCHES = 40  # per thread: 8 threads x 40 batches
SIZE = 50
STRIDE = 25  # each batch overlaps the next by half
ZONES = ("Europe/Helsinki", "America/New_York", "Pacific/Kiritimati", "Asia/Kolkata")
FIGURES = ("responses", "satisfied", "csat", "ci_low", "ci_high", "happy_index", "suppressed")


def kiosk_ratings(store_tz: str, count: int, rng: random.Random) -> list[dict]:
    """``count`` ratings with seqs 1..count over the last three days, some suppressed or
    with a reason."""
    start = utc_now() - timedelta(days=3)
    step = timedelta(days=3) / count
    out = []
    for seq in range(1, count + 1):
        score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 3, 6, 8))[0]
        out.append(rating(
            seq, score, at=start + step * seq, tz=store_tz,
            suppressed=rng.random() < 0.05,
            reason=rng.choice(("queue", "staff")) if score <= 2 and rng.random() < 0.5 else None,
        ))
    return out


def post(session: requests.Session, url: str, token: str, body: dict) -> dict:
    """POST a batch, retrying while the collector says 429 or 503."""
    for _ in range(200):
        answer = session.post(url + "/api/v1/batches", json=body, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})
        if answer.status_code in (429, 503):
            time.sleep(0.05)
            continue
        assert answer.status_code == 200, answer.text
        return answer.json()
    raise AssertionError("collector stayed busy")


class Follower(threading.Thread):
    """Pulls the export with its cursor, page after page, while uploads run."""

    def __init__(self, collector: Collector, url: str) -> None:
        super().__init__(daemon=True)
        self.collector, self.url = collector, url
        self.rows: list[dict] = []
        self.cursor = "0"
        self.done = threading.Event()
        self.error: BaseException | None = None

    def pull(self) -> bool:
        """One page; True when the collector said there is more."""
        answer = requests.get(self.url + "/api/v1/export/ratings", timeout=60,
                              params={"after": self.cursor, "limit": 97, "format": "jsonl"},
                              headers={"Authorization": f"Bearer {self.collector.office_token}"})
        assert answer.status_code == 200, answer.text
        self.rows += [json.loads(line) for line in answer.text.splitlines()]
        self.cursor = answer.headers["X-Next-Cursor"]
        return answer.headers["X-More"] == "true"

    def run(self) -> None:
        try:
            while not self.done.is_set():
                if not self.pull():
                    time.sleep(0.01)
            while self.pull():
                pass
        except BaseException as error:  # reported by the test
            self.error = error


def test_concurrent_overlapping_uploads_through_several_processes_are_exact(
    tmp_path: Path, backend: str, collector_database: str
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    host_a = Collector(tmp_path / "a", collector_database)
    host_b = Collector(tmp_path / "b", collector_database)
    host_a.start("--workers", "2" if backend == "postgresql" else "1")
    host_b.start()
    follower = Follower(host_a, host_b.url)
    try:
        rng = random.Random(6)
        stores = [host_a.new_store(tz) for tz in ZONES[:KIOSKS]]
        count = STRIDE * (BATCHES - 1) + SIZE
        sent = {store.store_id: kiosk_ratings(store.timezone, count, rng) for store in stores}
        windows = {store_id: [ratings[i * STRIDE: i * STRIDE + SIZE] for i in range(BATCHES)]
                   for store_id, ratings in sent.items()}
        verdicts: list[dict] = []
        lock = threading.Lock()
        start = threading.Barrier(KIOSKS * THREADS_PER_KIOSK + 1)
        failures: list[BaseException] = []

        def upload(store, url: str, order: list[int]) -> None:
            try:
                session = requests.Session()
                start.wait()
                for number in order:
                    answer = post(session, url, store.kiosk_token,
                                  batch(windows[store.store_id][number]))
                    with lock:
                        verdicts.append(answer)
            except BaseException as error:
                failures.append(error)

        threads = []
        for index, store in enumerate(stores):
            forward = list(range(BATCHES))
            # Kiosks 0 and 1: both threads send the same batches at the same time
            # through different hosts.  Kiosks 2 and 3: one in order, one shuffled.
            other = forward if index < 2 else random.Random(index).sample(forward, BATCHES)
            threads += [threading.Thread(target=upload, args=(store, host_a.url, forward)),
                        threading.Thread(target=upload, args=(store, host_b.url, other))]
        for thread in threads:
            thread.start()
        follower.start()
        start.wait()
        for thread in threads:
            thread.join(300)
        follower.done.set()
        follower.join(120)
        assert not failures, failures
        assert follower.error is None, follower.error

        # Every upload's verdicts add up, and each rating was accepted exactly once.
        distinct = {r["id"] for ratings in sent.values() for r in ratings}
        assert len(verdicts) == KIOSKS * THREADS_PER_KIOSK * BATCHES
        for answer in verdicts:
            assert (answer["conflict"], answer["rejected"]) == (0, 0), answer
            assert answer["accepted"] + answer["duplicate"] == SIZE
        assert sum(answer["accepted"] for answer in verdicts) == len(distinct)

        # Stored once each; the export cursor has no holes or repeats, and the
        # cursor followed during the uploads saw exactly the final export.
        rows, _ = host_a.export()
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)) == len(distinct) and set(ids) == distinct
        seqs = [row["ingest_seq"] for row in rows]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert [row["id"] for row in follower.rows] == ids

        # Roll-ups equal a recount from raw ratings.
        checked = host_a.cli("check", check=False)
        assert checked.returncode == 0 and "ok" in checked.stdout, checked.stdout + checked.stderr

        # The API's daily numbers equal a recount of the export with sync.metrics;
        # every seq arrived.
        for store in stores:
            mine = [row for row in rows if row["store_id"] == store.store_id]
            by_day: dict[str, Counter] = defaultdict(Counter)
            suppressed: Counter = Counter()
            for row in mine:
                if row["suppressed"]:
                    suppressed[row["local_date"]] += 1
                else:
                    by_day[row["local_date"]][row["scale"], row["score"]] += 1
            dates = sorted({row["local_date"] for row in mine})
            daily = store.daily(dates[0], dates[-1])
            for day in dates:
                expected = summarize(
                    [(scale, score, n) for (scale, score), n in by_day[day].items()],
                    suppressed=suppressed[day],
                ).as_dict()
                assert {key: daily[day][key] for key in FIGURES} == {
                    key: expected[key] for key in FIGURES}, (store.store_id, day)
                assert {face: n for face, n in daily[day]["counts"].items() if n} == \
                    expected["counts"]
            kiosk = store.kiosk()
            assert (kiosk["received"], kiosk["max_seq"], kiosk["missing"]) == (count, count, 0)
    finally:
        follower.done.set()
        host_a.stop()
        host_b.stop()
