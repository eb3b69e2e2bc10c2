"""Bad tokens are slowed per address; good tokens never are (auth.FailureThrottle).

Over HTTP, on a collector in this process: after ``auth_failures_per_minute``
unknown or revoked tokens from one address, that address's next bad tokens
get 429 with the seconds to wait in ``Retry-After``, other addresses and every
valid token carry on, and a missing token stays a plain 401.  The throttle's
arithmetic (the sliding window, its edges, the memory bound) is checked with
explicit times.
"""

from __future__ import annotations

import time

import pytest

from sync.collector.auth import AUTH_WINDOW_S, FailureThrottle
from tests.support.inprocess import collector_in_process

LIMIT = 3
THROTTLED = ("too many requests with an unknown or revoked token from this address;"
             " check the token, then retry after Retry-After seconds")


@pytest.fixture
def served(tmp_path):
    """A collector allowing LIMIT bad tokens a minute, store s with kiosk k."""
    with collector_in_process(tmp_path / "c.db", auth_failures_per_minute=LIMIT) as running:
        running.storage.add_store("s", "S", "Europe/Helsinki")
        running.kiosk_token = running.storage.add_kiosk("k", "s").token
        running.office_token = running.storage.add_token("office").token
        yield running


def test_an_address_sending_bad_tokens_waits_a_minute_and_good_tokens_still_get_in(served):
    revoked = served.storage.add_token("office")
    served.storage.revoke_token(revoked.id)
    bad = ["hymy_wrong1", revoked.token, "hymy_wrong3"]
    assert [served.call("GET", "/api/v1/stores", token).status for token in bad] == [401] * 3
    limited = served.call("GET", "/api/v1/stores", "hymy_wrong4")
    assert limited.status == 429
    assert limited.headers["retry-after"] == str(int(AUTH_WINDOW_S)) == "60"
    assert limited.detail == THROTTLED
    assert "www-authenticate" not in limited.headers
    assert served.call("GET", "/api/v1/survey", "hymy_wrong5").status == 429
    # The kiosk and the office behind the same address are not slowed down.
    assert served.call("GET", "/api/v1/survey", served.kiosk_token).status == 200
    assert served.call("GET", "/api/v1/stores", served.office_token).status == 200
    # A good token does not clear the address: guesses are still refused.
    assert served.call("GET", "/api/v1/stores", "hymy_wrong6").status == 429
    # No token at all is not a guess.
    missing = served.call("GET", "/api/v1/stores")
    assert missing.status == 401 and missing.headers["www-authenticate"] == "Bearer"
    # Another address is counted on its own.
    other = served.call("GET", "/api/v1/stores", "hymy_wrong7", source="127.0.0.2")
    assert (other.status, other.detail) == (401, "unknown or revoked token")


def test_refused_guesses_do_not_extend_the_wait(served):
    """Only the guesses answered 401 count: an address that keeps trying while it
    waits may try again once its first failures leave the window."""
    window = 2.0
    served.app.state.failed_auth = FailureThrottle(LIMIT, window_s=window)
    started = time.monotonic()
    assert [served.call("GET", "/api/v1/stores", "hymy_no").status
            for _ in range(LIMIT)] == [401] * LIMIT
    time.sleep(max(0.0, started + window / 2 - time.monotonic()))
    waiting = served.call("GET", "/api/v1/stores", "hymy_no")
    assert waiting.status == 429 and 1 <= int(waiting.headers["retry-after"]) <= window
    # Under a second left is still a wait, announced as one second.
    time.sleep(max(0.0, started + window - 0.5 - time.monotonic()))
    almost = served.call("GET", "/api/v1/stores", "hymy_no")
    assert almost.status == 429 and almost.headers["retry-after"] == "1"
    time.sleep(max(0.0, started + window + 0.3 - time.monotonic()))
    assert served.call("GET", "/api/v1/stores", "hymy_no").status == 401


# -- the sliding window, with explicit times ------------------------------------


def test_limit_failures_within_the_window_make_the_next_attempt_wait():
    throttle = FailureThrottle(limit=3, window_s=60)
    assert throttle.window_s == 60 and throttle.limit == 3
    assert throttle.retry_after("a", now=0) == 0.0
    throttle.failed("a", now=10)
    throttle.failed("a", now=11)
    assert throttle.retry_after("a", now=12) == 0.0  # two of three
    throttle.failed("a", now=12)
    assert throttle.retry_after("a", now=12) == 58.0  # until the failure at 10 is 60 s old
    assert throttle.retry_after("a", now=40) == 30.0
    assert throttle.retry_after("b", now=40) == 0.0  # per address
    assert throttle.retry_after("a", now=69.5) == 0.5
    assert throttle.retry_after("a", now=70) == 0.0  # exactly 60 s later it has left
    throttle.failed("a", now=70)
    assert throttle.retry_after("a", now=70) == 1.0  # 11, 12 and 70: wait for 11's minute


def test_the_default_window_is_a_minute():
    throttle = FailureThrottle(limit=1)
    throttle.failed("a", now=100)
    assert throttle.retry_after("a", now=100) == 60.0
    assert throttle.retry_after("a", now=160) == 0.0


def test_only_the_newest_limit_failures_decide_the_wait():
    throttle = FailureThrottle(limit=2, window_s=60)
    for second in (0, 1, 2, 30):
        throttle.failed("a", now=second)
    assert throttle.retry_after("a", now=31) == 31.0  # 2 and 30 count, 0 and 1 do not
    assert throttle.retry_after("a", now=62) == 0.0


def test_times_default_to_the_monotonic_clock():
    throttle = FailureThrottle(limit=1, window_s=1000)
    before = time.monotonic()
    throttle.failed("a")
    wait = throttle.retry_after("a")
    assert 1000 - (time.monotonic() - before) - 0.5 <= wait <= 1000
    assert throttle.retry_after("a", now=before + 2000) == 0.0


def test_idle_addresses_are_forgotten_once_ten_thousand_are_kept():
    throttle = FailureThrottle(limit=5, window_s=60)
    for n in range(9_999):
        throttle.failed(f"10.0.{n // 256}.{n % 256}", now=0)
    throttle.failed("recent", now=30)
    throttle.failed("new", now=60)
    assert len(throttle._failures) == 10_001  # 10 000 kept when it came: nothing dropped
    throttle.failed("newer", now=60)  # over the bound: the idle ones (last seen 60 s ago) go
    assert set(throttle._failures) == {"recent", "new", "newer"}
    assert throttle.retry_after("recent", now=60) == 0.0
    for _ in range(4):
        throttle.failed("recent", now=61)
    assert throttle.retry_after("recent", now=61) == 29.0  # its failure at 30 was kept


def test_behind_a_unix_socket_callers_without_an_address_share_one_count(tmp_path):
    """A reverse proxy on a Unix socket gives the app no client address: bad tokens
    are still counted (all together), not a server error."""
    with collector_in_process(tmp_path / "c.db", uds=tmp_path / "hymy.sock",
                              auth_failures_per_minute=2) as served:
        office = served.storage.add_token("office").token
        codes = [served.call("GET", "/api/v1/stores", f"hymy_bad{n}").status for n in range(3)]
        assert codes == [401, 401, 429]
        assert served.call("GET", "/api/v1/stores", office).status == 200
