"""Exports the office opens in its own tools: XLSX with typed cells, CSV for Nordic
Excel, Parquet for DuckDB and pyarrow, and the columns they carry (docs/export.md).

One collector runs in this process on loopback over a database written with
:class:`Storage`: two stores (one named like a formula, one in a +05:45 zone),
taps on both sides of a DST change, hostile reasons, flags set and unset.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from sync.collector import Database, Storage
from sync.collector.columns import DAILY_COLUMNS, RATING_COLUMNS
from tests.support import ROOT
from tests.support.inprocess import collector_in_process

HOSTILE_NAME = '=HYPERLINK("http://evil.example/","Kamppi")'
HOSTILE_REASONS = ['=1+1', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "  =1+1", "\uff1d1+1"]
#: (created_at, store, reason, suppressed, clock_suspect, local time on the store's clock)
TAPS = [
    ("2026-03-29T00:30:00.125Z", "s1", "queue", 0, 0, "02:30:00"),  # EET, before the change
    ("2026-03-29T01:30:00.000Z", "s1", None, 1, 0, "04:30:00"),  # EEST, after it
    ("2026-03-29T00:30:00.000Z", "s2", None, 0, 1, "06:15:00"),  # Kathmandu, +05:45
    *[(f"2026-03-29T05:{minute:02d}:00.000Z", "s1", reason, 0, 0, f"08:{minute:02d}:00")
      for minute, reason in enumerate(HOSTILE_REASONS, start=10)],
]
DAY = "2026-03-29"


def build(path: Path) -> dict[str, str]:
    """The database of this module; its office token."""
    storage = Storage(Database(str(path)))
    storage.db.migrate()
    storage.add_store("s1", HOSTILE_NAME, "Europe/Helsinki")
    storage.add_store("s2", "Thamel", "Asia/Kathmandu")
    for store in ("s1", "s2"):
        storage.add_kiosk(f"{store}-k", store)
    for store in ("s1", "s2"):
        rows = [(str(uuid.uuid4()), seq, store, f"{store}-k", 1 + seq % 5, 5, created, DAY, "fi",
                 reason, suppressed, None if seq == 1 else 2, created, suspect)
                for seq, (created, where, reason, suppressed, suspect, _) in enumerate(
                    (tap for tap in TAPS if tap[1] == store), start=1)]
        storage.bulk_insert(f"{store}-k", rows)
    office = storage.add_token("office").token
    storage.db.close()
    return {"office": office}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The collector in this process: ``url`` and ``auth`` (the office's header)."""
    path = tmp_path_factory.mktemp("formats") / "c.db"
    made = build(path)
    with collector_in_process(path) as running:
        yield {"url": running.url, "auth": {"Authorization": f"Bearer {made['office']}"},
               "storage": running.storage}


def get(served: dict, route: str, **params: str | int) -> requests.Response:
    """An office GET of the export API; fails the test unless it is a 200."""
    answer = requests.get(served["url"] + route, params=params, headers=served["auth"],
                          timeout=60)
    assert answer.status_code == 200, answer.text
    return answer


def workbook(answer: requests.Response) -> openpyxl.Workbook:
    assert answer.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    return openpyxl.load_workbook(io.BytesIO(answer.content))


def sheet_rows(sheet) -> list[dict]:
    """A sheet's rows as dicts of cells, by the header's names."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


# -- XLSX ---------------------------------------------------------------------------


def test_xlsx_ratings_are_typed_cells_under_a_frozen_bold_header(served):
    book = workbook(get(served, "/api/v1/export/ratings", format="xlsx"))
    assert book.sheetnames == ["ratings", "columns"]
    sheet = book["ratings"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == [column.name for column in RATING_COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["B"].width >= 36  # a whole UUID shows
    rows = sheet_rows(sheet)
    assert len(rows) == len(TAPS)
    first = rows[0]
    assert first["ingest_seq"].data_type == "n" and first["ingest_seq"].value == 1
    assert first["score"].data_type == "n" and isinstance(first["score"].value, int)
    assert first["created_at"].is_date
    assert first["created_at"].value == datetime(2026, 3, 29, 0, 30, 0, 125000)
    assert first["local_date"].is_date and first["local_date"].value.date() == date(2026, 3, 29)
    assert first["local_time"].is_date and first["local_time"].value == time(2, 30)
    assert first["suppressed"].data_type == "b" and first["suppressed"].value is False
    assert rows[1]["suppressed"].value is True
    assert first["survey_version"].value is None  # NULL stays an empty cell
    assert (first["store_id"].data_type, first["reason"].value) == ("s", "queue")
    assert first["question_kind"].value == "csat"
    by_time = {(row["store_id"].value, row["local_time"].value) for row in rows}
    assert by_time >= {("s1", time(4, 30)), ("s2", time(6, 15))}
    about = sheet_rows(book["columns"])
    assert [row["column"].value for row in about] == [column.name for column in RATING_COLUMNS]


def test_xlsx_text_never_becomes_a_formula(served):
    book = workbook(get(served, "/api/v1/export/ratings", format="xlsx"))
    rows = sheet_rows(book["ratings"])
    for row in rows:
        for cell in row.values():
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    reasons = {row["reason"].value: row["reason"] for row in rows}
    for reason in HOSTILE_REASONS:
        assert reasons[reason].data_type == "s"  # the exact text, marked as text
        assert reasons[reason].quotePrefix
    assert not reasons["queue"].quotePrefix
    names = [row["store_name"] for row in rows if row["store_id"].value == "s1"]
    assert {cell.value for cell in names} == {HOSTILE_NAME}
    assert all(cell.quotePrefix and cell.data_type == "s" for cell in names)


def test_xlsx_daily_figures(served):
    book = workbook(get(served, "/api/v1/export/daily", format="xlsx", **{"from": DAY, "to": DAY}))
    assert book.sheetnames == ["daily", "columns"]
    assert book["daily"].freeze_panes == "A2"
    rows = {row["store_id"].value: row for row in sheet_rows(book["daily"])}
    s2 = rows["s2"]
    assert s2["date"].is_date and s2["date"].value.date() == date(2026, 3, 29)
    assert (s2["responses"].value, s2["satisfied"].value, s2["store_name"].value) == (
        1, 0, "Thamel")
    assert s2["csat"].data_type == "n" and s2["csat"].value == 0
    assert rows["s1"]["csat"].number_format == "0.0"
    assert rows["s1"]["suppressed"].value == 1


# -- CSV dialects -------------------------------------------------------------------


def test_plain_csv_keeps_every_existing_byte_and_adds_columns_at_the_end(served):
    text = get(served, "/api/v1/export/ratings", format="csv").content.decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == (
        "ingest_seq,id,seq,store_id,kiosk_id,score,scale,created_at,local_date,lang,reason,"
        "suppressed,survey_version,received_at,clock_suspect,store_name,local_time,question_kind,"
        "followup")
    ids = [row["id"] for row in csv.DictReader(io.StringIO(text))]
    assert lines[1] == (
        f"1,{ids[0]},1,s1,s1-k,2,5,2026-03-29T00:30:00.125Z,2026-03-29,fi,queue,0,,"
        '2026-03-29T00:30:00.125Z,0,"\'=HYPERLINK(""http://evil.example/"",""Kamppi"")",'
        "02:30:00,csat,")  # followup: none unanswered
    assert text.endswith("\n") and not text.startswith("\ufeff") and ";" not in lines[0]


def test_nordic_csv_reads_back_as_excel_reads_it(served):
    answer = get(served, "/api/v1/export/daily", format="csv", dialect="excel-nordic",
                 **{"from": DAY, "to": DAY})
    raw = answer.content
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    s1 = next(row for row in rows if row["store_id"] == "s1")
    assert re.fullmatch(r"\d+,\d", s1["csat"]), s1["csat"]  # a decimal comma
    assert float(s1["csat"].replace(",", ".")) == pytest.approx(100 * int(s1["satisfied"])
                                                              / int(s1["responses"]), abs=0.05)
    assert s1["store_name"] == "'" + HOSTILE_NAME  # neutralised, quoted, read back whole
    ratings = get(served, "/api/v1/export/ratings", format="csv", dialect="excel-nordic")
    read = list(csv.DictReader(io.StringIO(ratings.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["reason"] for row in read if row["reason"].startswith("'")] == [
        "'" + reason for reason in HOSTILE_REASONS]
    assert {row["local_time"] for row in read} >= {"02:30:00", "04:30:00", "06:15:00"}


@pytest.mark.parametrize("params, message", [
    ({"format": "jsonl", "dialect": "excel-nordic"}, "format=csv only"),
    ({"format": "parquet", "dialect": "plain"}, "format=csv only"),
    ({"format": "csv", "dialect": "excel"}, "dialect"),
    ({"format": "ods"}, "format"),
])
def test_a_dialect_or_format_that_does_not_fit_is_refused(served, params, message):
    for route in ("/api/v1/export/ratings", "/api/v1/export/daily"):
        answer = requests.get(served["url"] + route, params=params, headers=served["auth"],
                              timeout=10)
        assert answer.status_code == 422 and message in answer.text, answer.text


# -- Parquet ------------------------------------------------------------------------


def test_parquet_has_the_documented_schema_for_pyarrow_and_duckdb(served, tmp_path):
    answer = get(served, "/api/v1/export/ratings", format="parquet")
    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    assert answer.headers["x-row-count"] == str(len(TAPS))
    path = tmp_path / "ratings.parquet"
    path.write_bytes(answer.content)
    table = pq.read_table(path)
    types = {field.name: field.type for field in table.schema}
    assert list(types) == [column.name for column in RATING_COLUMNS]
    assert types["ingest_seq"] == pa.int64() and types["id"] == pa.string()
    assert types["created_at"] == pa.timestamp("ms", tz="UTC")
    assert types["local_date"] == pa.date32() and types["local_time"] == pa.time32("ms")
    assert types["suppressed"] == pa.bool_() and types["survey_version"] == pa.int64()
    assert table.schema.field("ingest_seq").metadata[b"description"].startswith(b"Order")
    first = table.slice(0, 1).to_pylist()[0]
    assert first["created_at"] == datetime(2026, 3, 29, 0, 30, 0, 125000, tzinfo=UTC)
    assert (first["local_date"], first["local_time"]) == (date(2026, 3, 29), time(2, 30))
    assert (first["suppressed"], first["survey_version"], first["store_name"]) == (
        False, None, HOSTILE_NAME)
    assert set(table.column("reason").to_pylist()) >= set(HOSTILE_REASONS)  # data, unchanged
    con = duckdb.connect()
    described = dict(con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))"
    ).fetchall())
    assert (described["created_at"], described["local_date"], described["local_time"]) == (
        "TIMESTAMP WITH TIME ZONE", "DATE", "TIME")
    per_store = con.execute(
        f"SELECT store_name, count(*), sum(suppressed::int) FROM read_parquet('{path}')"
        " GROUP BY store_name ORDER BY store_name").fetchall()
    assert per_store == [(HOSTILE_NAME, len(TAPS) - 1, 1), ("Thamel", 1, 0)]


def test_daily_parquet(served, tmp_path):
    answer = get(served, "/api/v1/export/daily", format="parquet", **{"from": DAY, "to": DAY})
    table = pq.read_table(io.BytesIO(answer.content))
    assert [field.name for field in table.schema] == [column.name for column in DAILY_COLUMNS]
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("csat").type == pa.float64()
    assert sorted(table.column("store_name").to_pylist()) == sorted([HOSTILE_NAME, "Thamel"])


def test_parquet_is_written_a_row_group_per_page(served):
    storage = served["storage"]
    storage.add_store("big", "Big", "Europe/Helsinki")
    storage.add_kiosk("big-k", "big")
    after = storage.export_window(0, 10**9)[1]
    created = "2026-03-30T10:00:00.000Z"
    storage.bulk_insert("big-k", [
        (str(uuid.uuid4()), seq, "big", "big-k", 5, 5, created, "2026-03-30", "fi", None, 0, 1,
         created, 0) for seq in range(1, 25_001)])
    answer = get(served, "/api/v1/export/ratings", format="parquet", after=after, limit=25_000)
    parquet = pq.ParquetFile(io.BytesIO(answer.content))
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [
        10_000, 10_000, 5_000]
    assert answer.headers["x-more"] == "false"
    seqs = parquet.read(columns=["seq"]).column("seq").to_pylist()
    assert seqs == list(range(1, 25_001))


def test_parquet_pulls_follow_the_cursor_without_loss_or_doubles(collector_server,
                                                                 collector_store):
    _, start = collector_server.export()
    sent = collector_store.ratings([5, 4, 3, 2, 1] * 5)
    collector_store.post(sent)
    ids: list[str] = []
    after, pages = start, 0
    while True:
        answer = collector_server.request(
            "GET", "/api/v1/export/ratings", collector_server.office_token,
            params={"after": after, "limit": 7, "format": "parquet"})
        assert answer.status_code == 200, answer.text
        table = pq.read_table(io.BytesIO(answer.content))
        assert int(answer.headers["X-Row-Count"]) == table.num_rows <= 7
        seqs = table.column("ingest_seq").to_pylist()
        assert seqs == sorted(seqs) and all(seq > int(after) for seq in seqs)
        if seqs:
            assert answer.headers["X-Next-Cursor"] == str(seqs[-1])
        ids += table.column("id").to_pylist()
        after, pages = answer.headers["X-Next-Cursor"], pages + 1
        if answer.headers["X-More"] == "false":
            break
    assert pages == 4 and table.num_rows == 4
    assert ids == [item["id"] for item in sent]
    empty = collector_server.request("GET", "/api/v1/export/ratings",
                                     collector_server.office_token,
                                     params={"after": after, "format": "parquet"})
    assert empty.headers["X-Next-Cursor"] == after and empty.headers["X-More"] == "false"
    assert pq.read_table(io.BytesIO(empty.content)).num_rows == 0  # a file all the same


# -- columns --------------------------------------------------------------------------


def test_jsonl_carries_the_new_columns_too(served):
    lines = get(served, "/api/v1/export/ratings", format="jsonl").text.splitlines()
    first = json.loads(lines[0])
    assert list(first) == [column.name for column in RATING_COLUMNS]
    assert (first["store_name"], first["local_time"], first["question_kind"]) == (
        HOSTILE_NAME, "02:30:00", "csat")


def test_every_column_is_documented_with_its_type():
    text = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    for columns in (RATING_COLUMNS, DAILY_COLUMNS):
        for column in columns:
            row = f"| `{column.name}` | {column.kind} | {column.meaning} |"
            assert re.search(rf"^{re.escape(row)}$", text, re.M), row
