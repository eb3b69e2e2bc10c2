"""Small pieces of the page module that need no server: redirects, throttle, CSRF."""

from __future__ import annotations

import pytest

from sync.collector.auth import FailureThrottle
from sync.collector.web import pages


@pytest.mark.parametrize(("target", "expected"), [
    ("/stores/a?from=2026-01-01", "/stores/a?from=2026-01-01"),
    ("//evil.example", "/"), ("/\t/evil.example", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), (None, "/"), ("", "/"),
])
def test_login_only_redirects_to_local_paths(target, expected):
    assert pages.safe_next(target) == expected


def test_login_throttle_window():
    throttle = FailureThrottle(limit=3, window_s=60)
    for second in (0, 1, 2):
        assert throttle.retry_after("a", now=second) == 0
        throttle.failed("a", now=second)
    assert throttle.retry_after("a", now=3) == pytest.approx(57)
    assert throttle.retry_after("b", now=3) == 0  # other addresses are unaffected
    assert throttle.retry_after("a", now=60.5) == 0  # the first failure left the window


def test_session_csrf_is_bound_to_the_session():
    first, second = pages.session_csrf("a" * 43), pages.session_csrf("b" * 43)
    assert first != second and len(first) == 64
    assert pages.session_csrf("a" * 43) == first
