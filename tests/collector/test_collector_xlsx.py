"""XLSX exports written a column at a time (sync/collector/xlsx.py): the cells the office
opens in Excel are those xlsxwriter wrote a cell at a time before, text never runs as a
formula, odd text comes back to the character, and a view past a sheet's rows goes on.

The export runs against a collector in this process on both backends; the workbook is
read back with openpyxl, as a person's spreadsheet program would read it.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import requests
import xlsxwriter

from sync.clock import parse_utc
from sync.collector import Database, Storage
from sync.collector.columns import RATING_COLUMNS, Column
from sync.collector.spreadsheet import is_formula_like
from sync.collector.xlsx import Sheet, write_xlsx
from tests.support.inprocess import collector_in_process

DAY = "2026-03-29"
#: Reasons a kiosk (or anyone with its token) could send: formulas, XML's own characters,
#: Excel's escape, whitespace at the ends, control characters, an empty one.
ODD_REASONS = ["=1+1", "  @SUM(1)", "a&b<c>d", "_x0041_", " padded ", "tab\there",
               "bell\x07", "line\r\nbreak", "", "\uff1d1", "-2", "ok", "trailing "]
HOSTILE_NAME = '=HYPERLINK("http://evil.example/","Kamppi")'


@pytest.fixture
def served(collector_database: str):
    """A collector on a database with one store (named like a formula) and a tap per odd
    reason; ``url`` and the office's ``auth`` header."""
    storage = Storage(Database(collector_database))
    storage.db.migrate()
    storage.add_store("s1", HOSTILE_NAME, "Europe/Helsinki")
    storage.add_kiosk("s1-k", "s1")
    rows = [(str(uuid.uuid4()), seq, "s1", "s1-k", 1 + seq % 5, 5,
             f"2026-03-29T05:{seq:02d}:00.{seq:03d}Z", DAY, "fi", reason, seq % 2,
             None if seq == 1 else 2, f"2026-03-29T05:{seq:02d}:01.000Z", 0)
            for seq, reason in enumerate(ODD_REASONS, start=1)]
    storage.bulk_insert("s1-k", rows)
    office = storage.add_token("office").token
    storage.db.close()
    with collector_in_process(collector_database) as running:
        yield {"url": running.url, "auth": {"Authorization": f"Bearer {office}"}}


def by_name(sheet) -> list[dict]:
    """A sheet's rows as dicts of cells, by the header's names."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def as_excel_reads(text: str | None) -> str | None:
    """A cell's text as Excel shows it: its ``_xHHHH_`` escapes decoded (openpyxl
    leaves inline strings' escapes alone)."""
    if text is None:
        return None
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda found: chr(int(found.group(1), 16)), text)


def test_the_workbook_holds_typed_cells_and_the_exact_text(served):
    answer = requests.get(served["url"] + "/api/v1/export/ratings", headers=served["auth"],
                          params={"format": "xlsx"}, timeout=60)
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["ratings", "columns"]
    rows = by_name(book["ratings"])
    assert len(rows) == len(ODD_REASONS)
    first = rows[0]
    assert (first["ingest_seq"].data_type, first["ingest_seq"].value) == ("n", 1)
    assert first["created_at"].is_date
    assert first["created_at"].value == datetime(2026, 3, 29, 5, 1, 0, 1000)
    assert first["local_time"].value.isoformat() == "08:01:00"  # EEST, the store's clock
    assert first["suppressed"].value is True and rows[1]["suppressed"].value is False
    assert first["survey_version"].value is None
    reasons = [row["reason"] for row in rows]
    assert [as_excel_reads(cell.value) for cell in reasons] == ODD_REASONS
    quoted = {cell.value for cell in reasons if cell.quotePrefix}
    assert quoted == {"=1+1", "  @SUM(1)", "\uff1d1", "-2"}
    assert all(cell.data_type == "s" for cell in reasons if cell.value is not None)
    names = {(row["store_name"].value, row["store_name"].quotePrefix) for row in rows}
    assert names == {(HOSTILE_NAME, True)}


def reference(path: Path, columns: tuple[Column, ...], rows: list[tuple]) -> None:
    """The workbook as xlsxwriter wrote it a cell at a time before (the same formats,
    its constant_memory mode)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = {"header": book.add_format({"bold": True}),
               "quoted": book.add_format({"quote_prefix": True}),
               "float64": book.add_format({"num_format": "0.0"}),
               "timestamp": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"}),
               "date": book.add_format({"num_format": "yyyy-mm-dd"}),
               "time": book.add_format({"num_format": "hh:mm:ss"})}
    for made in formats.values():  # numbered in this order, as ours are
        made._get_xf_index()
    parse = {"timestamp": lambda text: parse_utc(text).replace(tzinfo=None),
             "date": date.fromisoformat, "time": time.fromisoformat}
    sheet = book.add_worksheet("ratings")
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.name, formats["header"])
    for at, row in enumerate(rows, start=1):
        for col, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                continue
            if column.kind == "string":
                quoted = formats["quoted"] if is_formula_like(value) else None
                sheet.write_string(at, col, value, quoted)
            elif column.kind == "bool":
                sheet.write_boolean(at, col, bool(value))
            elif column.kind in ("int64", "float64"):
                sheet.write_number(at, col, value, formats.get(column.kind))
            else:
                sheet.write_datetime(at, col, parse[column.kind](value), formats[column.kind])
    book.close()


def rows_xml(path: Path) -> str:
    """The ``<row>`` elements of the first sheet after the header, without ``spans``."""
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    rows = sheet.split("<sheetData>")[1].split("</sheetData>")[0]
    return re.sub(' spans="[^"]*"', "", rows.split("</row>", 1)[1])


def test_cells_match_what_xlsxwriter_wrote_cell_by_cell(tmp_path):
    base = (1, "id-1", 1, "s1", "s1-k", 3, 5, "2026-03-29T00:30:00.125Z", DAY, "fi", "queue",
            0, 2, "2026-03-29T00:30:01.000Z", 1, "Kamppi", "02:30:00", "csat", None)
    rows = [base[:10] + (reason,) + base[11:] for reason in ODD_REASONS]
    rows += [(2, "id-2", 2, "s1", "s1-k", 1, 5, "2026-12-31T23:59:59.999Z", "2027-01-01",
              "sv", None, 1, None, "2027-01-01T00:00:00.000Z", 0, None, "23:59:59", "nps",
              "timeout"),
             (3, "=id", 3, "s1", "s1-k", 1, 5, "not a time", "2026-02-30", "sv", None, 1,
              None, "2026-13-01T00:00:00.000Z", 0, "n", "1:2", "nps", "timeout")]
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    # A page of a row each too: every oddity alone in its column, none covering for another.
    pages = [rows[:3], *([row] for row in rows[3:])]
    by_column = [list(zip(*page, strict=True)) for page in pages]
    write_xlsx(ours, [Sheet("ratings", RATING_COLUMNS, by_column)])
    reference(theirs, RATING_COLUMNS, rows[:-1])  # xlsxwriter refused the odd last row
    mine = openpyxl.load_workbook(ours)["ratings"]
    old = openpyxl.load_workbook(theirs)["ratings"]
    for got, want in zip(mine.iter_rows(min_row=2, max_row=len(rows)),
                         old.iter_rows(min_row=2, max_row=len(rows)), strict=True):
        for cell, before in zip(got, want, strict=True):
            assert (cell.value, cell.data_type, cell.number_format, cell.quotePrefix) == (
                before.value, before.data_type, before.number_format, before.quotePrefix
            ), cell.coordinate
    # Byte for byte the rows xlsxwriter wrote (its row ``spans`` apart: a hint Excel
    # does without), so Excel keeps what openpyxl cannot show: whitespace at the ends.
    assert rows_xml(ours).split(f'<row r="{len(rows) + 1}"')[0] == rows_xml(theirs)
    last = [cell.value for cell in mine[len(rows) + 1]]
    assert last[1] == "=id" and mine.cell(len(rows) + 1, 2).quotePrefix
    assert (last[7], last[8], last[13], last[16]) == (  # kept as text, not lost
        "not a time", "2026-02-30", "2026-13-01T00:00:00.000Z", "1:2")


def test_a_view_longer_than_a_sheet_goes_on_in_the_next(tmp_path):
    columns = (Column("n", "int64", "a number"), Column("note", "string", "some text"))
    pages = [[list(range(page, page + 3)), [f"row {n}" for n in range(page, page + 3)]]
             for page in (1, 4, 7)]
    path = tmp_path / "long.xlsx"
    write_xlsx(path, [Sheet("ratings", columns, pages)], sheet_rows=4)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["ratings", "ratings 2", "ratings 3", "columns"]
    seen = []
    for name in book.sheetnames[:3]:
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == ["n", "note"]
        assert sheet.freeze_panes == "A2" and sheet[1][0].font.b
        assert sheet.max_row == 4 and sheet.dimensions == "A1:B4"
        seen += [n for n, _ in sheet.iter_rows(min_row=2, values_only=True)]
    assert seen == list(range(1, 10))
