"""Reads from a real PostgreSQL streaming replica (``read_database``).

One primary and one hot standby made with ``pg_basebackup -R`` per module, and
two collectors on them: ``patient`` tolerates 10 minutes of lag, ``strict`` 2
seconds.  The tests run in order: the replica in step, its replay paused, then
stopped and started again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from sync.collector.db.replica import CHECK_EVERY_S
from sync.collector.settings import Settings
from tests.support import pgserver
from tests.support.browser import login_session
from tests.support.collector import Collector


def test_a_replica_beside_sqlite_or_one_that_is_not_postgresql_is_refused(tmp_path: Path):
    cases = (
        ({"HYMY_READ_DATABASE": "postgresql://hymy@db2/hymy"}, str(tmp_path / "c.db")),
        ({"HYMY_READ_DATABASE": str(tmp_path / "r.db")}, "postgresql://hymy@db1/hymy"),
    )
    for env, database in cases:
        with pytest.raises(ValueError, match="needs database and read_database to be"
                                             " postgresql:// URLs"):
            Settings.from_env({**env, "HYMY_DATABASE": database})
    with pytest.raises(ValueError, match="read_max_lag_s must be positive"):
        Settings.from_env({"HYMY_DATABASE": "postgresql://hymy@db1/hymy",
                           "HYMY_READ_DATABASE": "postgresql://hymy@db2/hymy",
                           "HYMY_READ_MAX_LAG_S": "0"})


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[pgserver.PostgresServer, pgserver.PostgresServer]]:
    """A private primary and its streaming replica."""
    try:
        primary = pgserver.start()
    except pgserver.Unavailable as missing:
        pytest.skip(str(missing))
    try:
        replica = primary.start_replica()
    except BaseException:
        primary.stop()
        raise
    yield primary, replica
    replica.stop()
    primary.stop()


@pytest.fixture(scope="module")
def collectors(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Collector]]:
    """``patient`` (read_max_lag_s 600) and ``strict`` (2) on one database and its replica."""
    primary, replica = servers
    url = primary.create_database()
    read_url = replica.url(url.rsplit("/", 1)[1])
    running = {}
    try:
        for name, max_lag in (("patient", "600"), ("strict", "2")):
            collector = Collector(tmp_path_factory.mktemp(name), url)
            collector.start(env={"HYMY_READ_DATABASE": read_url, "HYMY_READ_MAX_LAG_S": max_lag})
            running[name] = collector
        yield running
    finally:
        for collector in running.values():
            collector.stop()


def pull(collector: Collector, after: str) -> requests.Response:
    """One JSON Lines export pull after a cursor."""
    answer = collector.request("GET", "/api/v1/export/ratings", collector.office_token,
                               params={"after": after, "format": "jsonl"})
    assert answer.status_code == 200, answer.text
    return answer


def ids(answer: requests.Response) -> list[str]:
    """The rating ids of an export pull."""
    return [json.loads(line)["id"] for line in answer.text.splitlines()]


def office_page(collector: Collector) -> requests.Response:
    """The office page, in English, as the office's browser sees it."""
    session = login_session({"url": collector.url}, collector.office_token)
    answer = session.get(collector.url + "/office", params={"lang": "en"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def soon(check: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait until ``check()`` holds (asking every 0.2 s), or fail."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.2)


@pytest.mark.postgres
def test_a_rating_stored_on_the_primary_is_read_back_through_the_replica(collectors):
    patient = collectors["patient"]
    store = patient.new_store()
    rating = store.ratings([5])
    assert store.post(rating).json()["accepted"] == 1

    soon(lambda: rating[0]["id"] in ids(pull(patient, "0")))
    answer = pull(patient, "0")
    assert answer.headers["X-Hymy-Read-From"] == "replica"
    assert float(answer.headers["X-Hymy-Replica-Lag"]) <= 600
    assert "X-Hymy-Data-As-Of" in answer.headers
    assert store.daily(rating[0]["local_date"], rating[0]["local_date"])[
        rating[0]["local_date"]]["responses"] == 1
    page = office_page(patient)
    assert "read from a replica" in page.text
    assert store.store_id in page.text


@pytest.mark.postgres
def test_a_paused_replica_is_shown_behind_and_past_the_limit_the_primary_answers(
        servers, collectors):
    _, replica = servers
    patient, strict = collectors["patient"], collectors["strict"]
    cursor = pull(patient, "0").headers["X-Next-Cursor"]
    store = patient.new_store()
    replica.admin("SELECT pg_wal_replay_pause()")
    try:
        late = store.ratings([1])
        assert store.post(late).json()["accepted"] == 1

        # Within its limit the replica answers, with fewer rows, and says how far behind.
        soon(lambda: float(pull(patient, cursor).headers["X-Hymy-Replica-Lag"]) > 0)
        behind = pull(patient, cursor)
        assert behind.headers["X-Hymy-Read-From"] == "replica"
        assert late[0]["id"] not in ids(behind)
        assert "behind" in office_page(patient).text
        # Beyond its 2 s the strict collector reads the primary, which has the rating.
        soon(lambda: pull(strict, cursor).headers["X-Hymy-Read-From"] == "primary")
        assert late[0]["id"] in ids(pull(strict, cursor))
        assert "read from the main database: the replica is" in office_page(strict).text
        # The replica's cursor did not run past the rating it has not replayed yet.
        resume_at = behind.headers["X-Next-Cursor"]
    finally:
        replica.admin("SELECT pg_wal_replay_resume()")
    soon(lambda: late[0]["id"] in ids(pull(patient, resume_at)))
    soon(lambda: pull(strict, "0").headers["X-Hymy-Read-From"] == "replica")


@pytest.mark.postgres
def test_with_the_replica_stopped_the_primary_answers_until_it_is_back(servers, collectors):
    _, replica = servers
    patient = collectors["patient"]
    store = patient.new_store()
    assert pull(patient, "0").headers["X-Hymy-Read-From"] == "replica"
    replica.halt()  # within the 2 s the replica's last check is trusted: the first pull
    try:            # finds it gone while reading and takes the primary's connection
        timings = []
        for _ in range(4):
            began = time.monotonic()
            answer = pull(patient, "0")
            timings.append(time.monotonic() - began)
        assert max(timings) < 5, timings
        assert answer.headers["X-Hymy-Read-From"] == "primary"
        assert "X-Hymy-Replica-Lag" not in answer.headers
        rating = store.ratings([4])
        assert store.post(rating).json()["accepted"] == 1
        assert rating[0]["id"] in ids(pull(patient, "0"))
        assert "the replica does not answer" in office_page(patient).text
        time.sleep(CHECK_EVERY_S * 2.5)  # checked again twice since: logged once all the same
        assert pull(patient, "0").headers["X-Hymy-Read-From"] == "primary"
        log = Path(patient.log_path).read_text()
        assert log.count("read replica unreachable") == 1, log
    finally:
        replica.launch()
    soon(lambda: pull(patient, "0").headers["X-Hymy-Read-From"] == "replica")
    assert rating[0]["id"] in ids(pull(patient, "0"))
    assert "read replica back" in Path(patient.log_path).read_text()
