"""docs/security.md names the test behind each threat: every one it names exists."""

from __future__ import annotations

import re

from tests.support import ROOT


def named_tests() -> list[tuple[str, str]]:
    """``(file, test)`` for each ``tests/x.py::test`` and following ``::test`` in the doc."""
    found = []
    for row in (ROOT / "docs" / "security.md").read_text().splitlines():
        current = None
        for file, test in re.findall(r"`(tests/[\w/]+\.py)?::(\w+)", row):
            current = file or current
            found.append((current, test))
    return found


def test_every_test_the_security_doc_names_exists():
    named = named_tests()
    assert len(named) >= 25
    for file, test in named:
        assert file, f"{test} has no file before it"
        source = (ROOT / file).read_text()
        assert re.search(rf"^(async )?def {test}\(", source, re.M), f"{file}::{test} is gone"
