"""XLSX workbooks of exports, written a page of rows and a column at a time.

An XLSX file is a zip of XML parts.  xlsxwriter wrote ours a cell at a
time: type dispatch, a row check, an attribute list and an escape per cell,
about 10 000 ratings of 19 cells a CPU second (55 000 here), so a year of a chain took
minutes.  Here xlsxwriter still writes every part but the rows - the
workbook, the styles, each sheet's column widths and its bold header frozen
above the rows - and this module writes the ``<row>`` elements itself, in
the XML xlsxwriter's ``constant_memory`` mode writes (inline strings), a
column of a page at a time:

- numbers, flags, dates and times become ``<v>`` text through C-level maps,
  a table per distinct value where values repeat (dates, flags, times);
- a text column is joined and searched once (:data:`_CARE`): when no cell
  needs escaping, whitespace kept, Excel's ``_xHHHH_`` escapes or the
  formula mark, its cells are pasted into one template; otherwise each cell
  of that column goes through :func:`text_cell`, the definition;
- :func:`cell_xml` is the definition of every cell; the column paths must
  write exactly its text (tests/collector/test_collector_xlsx.py holds them to it).

Rows go to a temporary file per sheet, so memory stays flat whatever the
row count; the parts are then zipped (deflate level 1: the sheet XML is
most of the work, and level 6 cost more than writing it).  A sheet holds at
most :data:`MAX_SHEET_ROWS` rows, the header included: a longer view
continues on ``ratings 2``, ``ratings 3``, ... with the same header.

Text never runs as a formula: formula-like text (the one rule,
:func:`sync.collector.spreadsheet.is_formula_like`) keeps its characters and
gets Excel's own "this is text" mark, the quote prefix (style ``s="2"``).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import repeat
from operator import add, itemgetter, sub, truediv
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from sync.clock import parse_utc
from sync.collector.columns import Column
from sync.collector.spreadsheet import FORMULA_STARTS, JOINED_STAMPS, is_formula_like

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows an XLSX sheet holds (header included); more continue on "ratings 2", ...
MAX_SHEET_ROWS = 1_048_576
#: Excel number formats of each column type (text, integers and booleans need none).
NUMBER_FORMATS = {
    "float64": "0.0", "timestamp": "yyyy-mm-dd hh:mm:ss.000", "date": "yyyy-mm-dd",
    "time": "hh:mm:ss",
}
#: Each cell style's index in the workbook's styles (``s=``), in the order the formats
#: are made (:func:`_skeleton` checks that xlsxwriter numbered them so).
STYLES = {"header": 1, "quoted": 2, **{kind: 3 + at for at, kind in enumerate(NUMBER_FORMATS)}}
#: Bytes per read when a finished workbook is sent.
CHUNK = 1 << 16
#: The longest text a cell holds, in UTF-16 units (Excel's limit; xlsxwriter cuts there too).
MAX_TEXT = 32_767
#: Excel's day 0 (its 1900 date system, with the 1900-02-29 it believes in).
_EPOCH = datetime(1899, 12, 31)
_ONE_DAY = timedelta(days=1)
#: What sends a text column (joined with NUL around each cell) down the careful path: XML's
#: ``&<>``, control characters and non-characters, whitespace or a
#: formula-like start at either end, and (see :func:`_text_column`) Excel's ``_xHHHH_``.
_CARE_CHARS = re.compile("[&<>\x01-\x1f\ufffe\uffff]")
_CARE_START = re.compile(
    "\x00[\\s" + re.escape("".join(sorted(FORMULA_STARTS))) + "]")
_CARE_END = re.compile(r"\s\x00")
_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_SPACE_AT_END = re.compile(r"^\s|\s$")
_UP_TO_MS = itemgetter(slice(0, 23))
_DATES = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}\x00)*")
_TIMES = re.compile(r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\x00)*")


@dataclass
class Sheet:
    """One view of an export as a worksheet: its name, its columns and its rows, a page
    at a time, each page given column by column (a sequence of values per column, in
    the columns' order): the writer works a column at a time, so no row is assembled."""

    name: str
    columns: Sequence[Column]
    pages: Iterable[Sequence[Sequence[Any]]]


# -- one cell: the definition ---------------------------------------------------


def serial(value: datetime | date | time) -> float:
    """Excel's serial number of a date, date-time or time of day: days since 1899-12-31
    (a day more past 1900-02-28, for the 1900-02-29 Excel believes in), the time of day
    as a fraction correctly rounded (xlsxwriter adds the seconds in two roundings)."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, date):
        moment = datetime.fromordinal(value.toordinal())
    else:
        moment = datetime.combine(_EPOCH, value)
    return _excel_days((moment - _EPOCH) / _ONE_DAY)


def _excel_days(number: float) -> float:
    """Days since 1899-12-31 as Excel counts them."""
    return number + 1 if number > 59 else number


def _utf16_cut(text: str) -> str:
    """``text`` cut to :data:`MAX_TEXT` UTF-16 units, a character split in two left out."""
    units = text.encode("utf-16-le")[:2 * MAX_TEXT]
    return units.decode("utf-16-le", "ignore")


def text_cell(ref: str, text: str) -> str:
    """A text cell as xlsxwriter's ``constant_memory`` mode writes it: an inline string,
    control characters as Excel's ``_xHHHH_`` (a literal ``_xHHHH_`` escaped first),
    whitespace kept at either end, formula-like text quote-prefixed ("" too is a text)."""
    if len(text) > MAX_TEXT // 2:
        text = _utf16_cut(text)
    style = f' s="{STYLES["quoted"]}"' if is_formula_like(text) else ""
    data = _ESCAPED.sub(r"_x005F\1", text)
    data = _CONTROL.sub(lambda match: f"_x{ord(match.group(1)):04X}_", data)
    data = data.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    keep = ' xml:space="preserve"' if _SPACE_AT_END.search(data) else ""
    data = data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{keep}>{data}</t></is></c>'


def _number_cell(ref: str, number: float, kind: str) -> str:
    """A number cell with its column's number format (none for integers)."""
    style = f' s="{STYLES[kind]}"' if kind in STYLES else ""
    return f'<c r="{ref}"{style}><v>{number:.16G}</v></c>'


_PARSE: dict[str, Callable[[str], Any]] = {
    "timestamp": parse_utc, "date": date.fromisoformat, "time": time.fromisoformat,
}


def cell_xml(ref: str, kind: str, value: Any) -> str:
    """One cell of a column of type ``kind`` at ``ref`` (``B7``): None is no cell at all.

    A value the type cannot hold (text in a number column, a time that is not
    one, a NaN) is written as its text, so an odd row shows rather than breaking
    the whole file.
    """
    if value is None:
        return ""
    if kind == "bool" and value in (0, 1):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind in ("int64", "float64") and value.__class__ in (int, float) \
            and math.isfinite(value):
        return _number_cell(ref, value, kind)
    if kind in _PARSE and value.__class__ is str:
        try:
            return _number_cell(ref, serial(_PARSE[kind](value)), kind)
        except ValueError:
            pass
    return text_cell(ref, str(value))


# -- a column of a page at a time ------------------------------------------------


class ColumnXml:
    """How a column of type ``kind`` (spreadsheet column ``letter``) turns a page's values
    into cells: the text of :func:`cell_xml`, a column at a time where it can."""

    def __init__(self, kind: str, letter: str) -> None:
        self.kind, self.letter = kind, letter
        self.values_of = {
            "string": _text_column, "int64": _int_column, "float64": _float_column,
            "bool": _table_column, "date": _table_column, "time": _table_column,
            "timestamp": _stamp_column}[kind]
        style = f' s="{STYLES[kind]}"' if kind in STYLES else ""
        #: A cell with ``%s`` for its row number and then its value's XML.
        self.template = (
            f'<c r="{letter}%s" t="inlineStr"><is><t>%s</t></is></c>' if kind == "string"
            else f'<c r="{letter}%s" t="b"><v>%s</v></c>' if kind == "bool"
            else f'<c r="{letter}%s"{style}><v>%s</v></c>')

    def cells(self, numbers: list[str], values: Sequence[Any]) -> list[str]:
        """Each value's whole cell ("" for none), row by row."""
        if None in values:  # no cell: the others written as a column of their own
            at = [index for index, value in enumerate(values) if value is not None]
            found = [""] * len(values)
            kept = self.cells([numbers[i] for i in at], [values[i] for i in at])
            for index, text in zip(at, kept, strict=True):
                found[index] = text
            return found
        texts = self.values_of(self.kind, values)
        if texts is None:
            return [cell_xml(self.letter + number, self.kind, value)
                    for number, value in zip(numbers, values, strict=True)]
        return list(map(self.template.__mod__, zip(numbers, texts, strict=True)))

    def page(self, numbers: list[str], values: Sequence[Any]) -> tuple[str, list[Sequence]]:
        """The column's part of a page's row template and the columns of arguments it
        takes after the row number: the values' XML alone when the whole column takes
        the common cell (no per-cell string), else whole cells."""
        texts = None if None in values else self.values_of(self.kind, values)
        if texts is None:
            return "%s", [self.cells(numbers, values)]
        return self.template, [numbers, texts]


def _text_column(kind: str, values: Sequence[Any]) -> Sequence[str] | None:
    """The values as they are, when every one is text that needs no care (checked once
    per distinct value where values repeat, over the column joined otherwise)."""
    distinct = set(values)
    checked = distinct if len(distinct) * 2 < len(values) else values
    try:
        joined = "\x00" + "\x00".join(checked) + "\x00"
    except TypeError:  # not text
        return None
    if _CARE_CHARS.search(joined) or _CARE_START.search(joined) or _CARE_END.search(joined) \
            or ("_x" in joined and _ESCAPED.search(joined)) \
            or joined.count("\x00") != len(checked) + 1 \
            or max(map(len, checked), default=0) > MAX_TEXT // 2:
        return None
    return values


def _int_column(kind: str, values: Sequence[Any]) -> Sequence[Any] | None:
    """Integers as they are (``%s`` writes what ``%.16G`` does below 10**16)."""
    if set(map(type, values)) != {int} or max(map(abs, values), default=0) >= 10**16:
        return None
    return values


def _float_column(kind: str, values: Sequence[Any]) -> list[str] | None:
    """Finite numbers as ``%.16G`` (xlsxwriter's way)."""
    if not set(map(type, values)) <= {int, float} or not all(map(math.isfinite, values)):
        return None
    return list(map("%.16G".__mod__, values))


def _table_column(kind: str, values: Sequence[Any]) -> list[str] | None:
    """Flags, dates or times through a table of their distinct values: 0/1, or Excel
    serial numbers of dates (``YYYY-MM-DD``) or times (``HH:MM:SS``)."""
    distinct = list(set(values))
    if kind == "bool":
        if not set(distinct) <= {0, 1} or not set(map(type, distinct)) <= {int, bool}:
            return None
        texts = [str(int(value)) for value in distinct]
    else:
        try:
            joined = "\x00".join(distinct) + "\x00"
        except TypeError:
            return None
        if not (_DATES if kind == "date" else _TIMES).fullmatch(joined):
            return None
        parse = _PARSE[kind]
        try:  # the shape is right; a day that is not one (02-30) goes cell by cell
            texts = [f"{serial(parse(value)):.16G}" for value in distinct] if kind == "date" \
                else _serials(map(datetime.combine, repeat(_EPOCH), map(parse, distinct)))
        except ValueError:
            return None
    table = dict(zip(distinct, texts, strict=True))
    return list(map(table.__getitem__, values))


def _serials(moments: Iterable[datetime]) -> list[str]:
    """Naive date-times as Excel serial numbers, ``%.16G`` (xlsxwriter's digits): the
    arithmetic of :func:`serial` mapped in C."""
    numbers = list(map(truediv, map(sub, moments, repeat(_EPOCH)), repeat(_ONE_DAY)))
    if numbers and min(numbers) > 59:
        return list(map("%.16G".__mod__, map(add, numbers, repeat(1))))
    if not numbers or max(numbers) <= 59:  # times of day
        return list(map("%.16G".__mod__, numbers))
    return [f"{_excel_days(number):.16G}" for number in numbers]


def _stamp_column(kind: str, values: Sequence[Any]) -> list[str] | None:
    """UTC timestamps in the wire's shape as serial numbers."""
    try:
        joined = "\x00".join(values) + "\x00"
    except TypeError:
        return None
    if not JOINED_STAMPS.fullmatch(joined):
        return None
    try:  # the shape is right; a day that is not one (02-30) goes cell by cell
        return _serials(map(datetime.fromisoformat, map(_UP_TO_MS, values)))
    except ValueError:
        return None


# -- sheets and the workbook -----------------------------------------------------


@dataclass
class Part:
    """One worksheet as written: its name and columns, and a file of its ``<row>``
    elements after the header (``rows`` of them)."""

    name: str
    columns: Sequence[Column]
    path: str
    rows: int = 0


class SheetWriter:
    """Pages of a view's rows into :class:`Part` files of at most ``limit`` rows each
    (header included), named ``view``, ``view 2``, ..."""

    def __init__(self, view: Sheet, folder: str, limit: int) -> None:
        self.view, self.folder, self.limit = view, folder, limit
        self.parts: list[Part] = []
        self.columns = [ColumnXml(column.kind, xl_col_to_name(at))
                        for at, column in enumerate(view.columns)]

    def part(self) -> Part:
        """A new part, its name numbered after the first."""
        number = len(self.parts) + 1
        name = self.view.name if number == 1 else f"{self.view.name} {number}"
        # A name of its own in the folder: views written one after another must not
        # share a file (``id()`` of a writer already freed came round again).
        handle, path = tempfile.mkstemp(prefix="rows-", suffix=".xml", dir=self.folder)
        os.close(handle)
        self.parts.append(Part(name, self.view.columns, path))
        return self.parts[-1]

    def write(self) -> list[Part]:
        """Every page of the view written; the parts (one with no rows for no rows)."""
        part = self.part()
        out = open(part.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - switched below
        try:
            for page in self.view.pages:
                while page and page[0]:
                    room = self.limit - 1 - part.rows
                    if room == 0:
                        out.close()
                        part = self.part()
                        out = open(part.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
                        continue
                    out.write(self.rows_xml([values[:room] for values in page], part.rows + 2))
                    part.rows += min(room, len(page[0]))
                    page = [values[room:] for values in page]
        finally:
            out.close()
        return self.parts

    def rows_xml(self, page: Sequence[Sequence[Any]], first: int) -> str:
        """``<row>`` elements of a page given column by column, the first of them sheet
        row ``first``."""
        numbers = list(map(str, range(first, first + len(page[0]))))
        template, arguments = '<row r="%s">', [numbers]
        for column, values in zip(self.columns, page, strict=True):
            part, more = column.page(numbers, values)
            template += part
            arguments += more
        return "".join(map((template + "</row>").__mod__, zip(*arguments, strict=True)))


def _skeleton(path: str, parts: Sequence[Part]) -> None:
    """A workbook of the parts' sheets with their widths and frozen bold headers, and no
    rows: every part of the file but the rows, by xlsxwriter."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    made = {"header": book.add_format({"bold": True}),
            "quoted": book.add_format({"quote_prefix": True})}
    made.update({kind: book.add_format({"num_format": fmt})
                 for kind, fmt in NUMBER_FORMATS.items()})
    # Numbered now, in this order, so the rows written before can name them (STYLES).
    if {name: fmt._get_xf_index() for name, fmt in made.items()} != STYLES:
        raise RuntimeError("xlsxwriter numbered the cell styles differently: see STYLES")
    for part in parts:
        sheet = book.add_worksheet(part.name)
        for index, column in enumerate(part.columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.name, made["header"])
        sheet.freeze_panes(1, 0)
    book.close()


def _sheet_xml(skeleton: str, part: Part) -> tuple[bytes, bytes]:
    """The skeleton's XML of ``part``'s sheet cut where its rows go, its dimension
    (the sheet's range) made to cover them."""
    last = xl_col_to_name(len(part.columns) - 1) + str(part.rows + 1)
    head, tail = skeleton.split("</sheetData>")
    head = re.sub('<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
    return head.encode(), ("</sheetData>" + tail).encode()


def _assemble(skeleton: str, parts: Sequence[Part], path: str) -> None:
    """The workbook at ``path``: the skeleton's parts, each sheet with its rows."""
    sheets = {f"xl/worksheets/sheet{at}.xml": part for at, part in enumerate(parts, start=1)}
    with zipfile.ZipFile(skeleton) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for info in source.infolist():
            data = source.read(info)
            part = sheets.get(info.filename)
            if part is None:
                book.writestr(info.filename, data)
                continue
            head, tail = _sheet_xml(data.decode(), part)
            # A ZIP64 entry only when the sheet needs one (over 2 GiB of XML).
            big = len(head) + os.path.getsize(part.path) + len(tail) > zipfile.ZIP64_LIMIT // 2
            with book.open(info.filename, "w", force_zip64=big) as out, \
                    open(part.path, "rb") as rows:
                out.write(head)
                shutil.copyfileobj(rows, out, CHUNK)
                out.write(tail)


def _about(views: Sequence[Sheet]) -> Sheet:
    """A last sheet that says what each column of each view holds (docs/export.md)."""
    about = (Column("sheet", "string", "", 10), Column("column", "string", "", 16),
             Column("type", "string", "", 10), Column("meaning", "string", "", 80))
    rows = [(view.name, column.name, column.kind, column.meaning)
            for view in views for column in view.columns]
    return Sheet("columns", about, [list(zip(*rows, strict=True))] if rows else [])


def write_xlsx(path: str | os.PathLike[str], views: Iterable[Sheet],
               sheet_rows: int = MAX_SHEET_ROWS) -> None:
    """An XLSX workbook at ``path``: a sheet per view (more past ``sheet_rows`` rows),
    then a sheet describing the columns.

    Cells are typed (numbers, booleans, dates, times and UTC timestamps as
    Excel dates), the header is bold and frozen, and text is only ever written
    as text.  Rows wait in files next to ``path``, so memory stays flat.
    """
    target = os.fspath(path)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(target) or ".") as folder:
        parts: list[Part] = []
        written: list[Sheet] = []
        for view in views:
            parts += SheetWriter(view, folder, sheet_rows).write()
            written.append(view)
        parts += SheetWriter(_about(written), folder, sheet_rows).write()
        skeleton = os.path.join(folder, "skeleton.xlsx")
        _skeleton(skeleton, parts)
        _assemble(skeleton, parts, target)


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
