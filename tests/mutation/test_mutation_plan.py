"""The mutation-testing list (tests/mutation/modules.toml) names files that
exist, so a module that moves fails here, in `make test`, and not only when
someone next runs `make mutation`."""

import pytest

from tests.mutation.run import PLAN, ROOT, Change, load_plan, sql_case

PLAN_MODULES = load_plan().modules


@pytest.mark.parametrize("module", PLAN_MODULES, ids=lambda module: module.path)
def test_every_module_and_test_file_exists(module):
    assert list(ROOT.glob(module.patterns[0])), (
        f"{module.path} is gone: update its path in {PLAN.relative_to(ROOT)}")
    for test in module.tests:
        assert (ROOT / test).is_file(), f"{test} is gone: update {PLAN.relative_to(ROOT)}"


@pytest.mark.parametrize("module", PLAN_MODULES, ids=lambda module: module.path)
def test_every_equivalent_mutant_is_explained(module):
    for name, equivalent in module.equivalent.items():
        assert name.startswith(module.name + "."), name
        assert equivalent.line and len(equivalent.reason.split()) >= 5, name


@pytest.mark.parametrize(("before", "after", "equivalent"), [
    ('"SELECT value FROM state WHERE key = ?",', '"select value from state where key = ?",', True),
    ('conn.execute("BEGIN IMMEDIATE")', 'conn.execute("begin immediate")', True),
    # A quoted SQL literal is data: its case matters.
    ('"SELECT 1 FROM state WHERE key = \'next_seq\'"',
     '"SELECT 1 FROM STATE WHERE KEY = \'NEXT_SEQ\'"', False),
    ('"SELECT 1 FROM state WHERE key = \'next_seq\'"',
     '"select 1 from state where key = \'next_seq\'"', True),
    # Not SQL, or not only case.
    ('raise ValueError("Score outside the scale")', 'raise ValueError("score outside the scale")',
     False),
    ('"SELECT value FROM state"', '"XXSELECT value FROM stateXX"', False),
    ('"Update the kiosk and try again"', '"UPDATE THE KIOSK AND TRY AGAIN"', False),
    # A clause continued on its own line is SQL too.
    ('" HAVING SUM(n) <> 0",', '" having sum(n) <> 0",', True),
    ('" HAVING SUM(n) <> 0",', '" HAVING SUM(N) <> 0",', True),
    ('" GROUP BY scale ORDER BY day",', '" group by scale order by day",', True),
    ('"Order by phone"', '"ORDER BY PHONE"', False),
])
def test_only_case_changes_of_sql_are_equivalent_by_rule(before, after, equivalent):
    assert sql_case(Change([before], [after], "")) is equivalent
