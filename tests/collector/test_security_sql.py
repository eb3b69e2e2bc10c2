"""Parameterised SQL only: no value ever becomes part of an SQL string.

A static check reads every module of ``sync/`` and ``kiosk/`` and looks at
each string that contains SQL.  Values must travel as ``?`` parameters; the
only things allowed inside an SQL f-string are *identifiers and placeholder
lists the code itself decides*:

- ``marks`` / ``where``: ``?, ?, ?`` lists and ``column IN (?, ?)`` conditions
  built by the placeholder-list pattern (``Connection.any_of``);
- ``table``, ``column``, ``columns``, ``keys``: names from constant tuples in the code;
- ``', '.join(...)`` of those or of UPPER_CASE constants (``ROW``, ``CONTENT``);
- UPPER_CASE module constants and ``int(...)``.

SQL built with ``%`` or ``.format()`` is refused outright.  A new f-string
that needs something else fails here with its file and line: use a ``?``
parameter, or extend the list below with a reason.

Then the kiosk store, whose values come from the screen and the collector,
is fed SQL-looking text and keeps it as plain data.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.support import ROOT

pytestmark = pytest.mark.reliability
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WHERE|VALUES)\b")
SAFE_NAMES = {"marks", "where", "table", "column", "columns", "keys"}
#: PostgreSQL's CREATE ROLE / GRANT take no parameters, so ``hymy-collector bi-role``
#: writes its DDL with: the role name, checked against ``ROLE_NAME`` and quoted by
#: ``_identifier``; the database and schema quoted the same way; a password from
#: ``secrets.token_urlsafe`` (letters, digits, - and _ only); and view names from its
#: constant ``BI_VIEWS`` (plus "ratings").  Exactly these, in that file only.
DDL = ("sync/collector/db/bi.py",
       {"role", "password", "quoted(database)", "quoted(schema)", "', '.join(readable)"})
#: SQL fragments a function assembles itself and then interpolates, each read and found
#: to hold only placeholders, constant column names and numbers or hours the code
#: computed (never a value from a request or a row):
#: - hours.py: the day type's CASE of ``IN (?, ...)`` date tests and the ``WHERE`` built
#:   from any_of;
#: - lines.py: each export line's printf/format call, generated from
#:   ``columns.RATING_COLUMNS`` with its template as a quoted literal (``literal``), the
#:   checks that send a row back to Python, the local-hour clock's and the store
#:   cells' table or arrays (constant names, ``?`` placeholders), and the page's
#:   aggregate (``joined``: group_concat/string_agg over the constant key names)
#:   around that lines SELECT (``inner``);
#: - recount.py: join conditions and COALESCE lists over constant key tuples, recount
#:   queries made of those, ``store_id IN (?, ...)`` scopes, and the local-hour CASE of
#:   zone offsets (integers) from UTC hours that ``_offsets`` formatted, and ``within``:
#:   the scope of a comparison, ``column IN (?, ...)`` conditions from ``any_of``;
#: - fingerprints.py: ``sums`` of SQL arithmetic on constant column names with integer
#:   factors ``Mixer`` drew, the local-hour expression (``hour``) from recount.py, and
#:   the reasons' ``CASE reason WHEN ? THEN 1 ...`` (``reason``: one ``?`` per reason).
FRAGMENTS = {
    "sync/collector/db/hours.py": {"day_type", "filters"},
    "sync/collector/db/lines.py": {"' OR '.join(_refused(backend, fmt, delimiter))", "line",
                                   "clock", "stores", "joined", "inner"},
    "sync/collector/db/recount.py": {"scope", "either", "expected", "on", "left_out", "source",
                                     "sql", "hour", "skip", "within"},
    "sync/collector/db/fingerprints.py": {"sums", "hour", "reason"},
}


def sources() -> list[Path]:
    return sorted([*ROOT.joinpath("sync").rglob("*.py"), *ROOT.joinpath("kiosk").rglob("*.py")])


def safe(expression: ast.expr) -> bool:
    """True for an interpolation that can only be an identifier or placeholders."""
    if isinstance(expression, ast.Name):
        return expression.id in SAFE_NAMES or expression.id.lstrip("_").isupper()
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
        return expression.func.id == "int"
    if (isinstance(expression, ast.Call) and isinstance(expression.func, ast.Attribute)
            and expression.func.attr == "join" and isinstance(expression.func.value, ast.Constant)
            and len(expression.args) == 1):
        joined = expression.args[0]
        if isinstance(joined, ast.GeneratorExp):
            return isinstance(joined.elt, ast.Constant) and joined.elt.value == "?"
        return safe(joined)
    return False


def constant_text(node: ast.JoinedStr) -> str:
    return "".join(v.value for v in node.values
                   if isinstance(v, ast.Constant) and isinstance(v.value, str))


def findings() -> tuple[list[str], int]:
    problems, checked = [], 0
    for path in sources():
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and SQL.search(constant_text(node)):
                checked += 1
                for part in node.values:
                    if (isinstance(part, ast.FormattedValue) and not safe(part.value)
                            and not (str(where) == DDL[0]
                                     and ast.unparse(part.value) in DDL[1])
                            and ast.unparse(part.value) not in FRAGMENTS.get(str(where), ())):
                        problems.append(f"{where}:{node.lineno}: {{{ast.unparse(part.value)}}}"
                                        " inside SQL")
            elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                  and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
                  and SQL.search(node.left.value)):
                problems.append(f"{where}:{node.lineno}: SQL built with %")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "format" and isinstance(node.func.value, ast.Constant)
                  and isinstance(node.func.value.value, str)
                  and SQL.search(node.func.value.value)):
                problems.append(f"{where}:{node.lineno}: SQL built with .format()")
    return problems, checked


def test_sql_strings_interpolate_only_identifiers_and_placeholders():
    problems, checked = findings()
    assert checked >= 5, "the scan found no SQL f-strings at all: is it still looking?"
    assert not problems, "\n".join(problems)


def test_the_scan_catches_a_value_in_sql():
    bad = ast.parse('f"SELECT * FROM ratings WHERE id = \'{rating_id}\'"').body[0].value
    assert not all(safe(p.value) for p in bad.values if isinstance(p, ast.FormattedValue))
    ok = ast.parse('f"SELECT {\', \'.join(ROW)} FROM t WHERE id IN ({marks})"').body[0].value
    assert all(safe(p.value) for p in ok.values if isinstance(p, ast.FormattedValue))


def test_kiosk_store_keeps_sql_looking_text_as_data(tmp_path):
    nasty = "x'); DROP TABLE ratings; --"
    store = Store(tmp_path / "kiosk.db", "s1'--", 'k1" OR 1=1', "Europe/Helsinki")
    try:
        tap = store.record_tap(2, 5, "fi'; DELETE FROM state; --", interval=0, ask_reason=True)
        store.set_reason(tap.id, nasty)
        store.set_state(nasty, {"value": nasty})
        store.mark_synced([nasty, f"{tap.id}' OR '1'='1"])
        store.mark_rejected({nasty: nasty})
        assert store.get_state(nasty) == {"value": nasty}
        (row,) = store.db.execute("SELECT store_id, kiosk_id, lang, reason, synced_at"
                                  " FROM ratings").fetchall()
        assert row == ("s1'--", 'k1" OR 1=1', "fi'; DELETE FROM state; --", nasty, None)
        assert store.stats()["pending"] == 1
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
