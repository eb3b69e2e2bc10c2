"""The office page's downloads: Excel workbooks, and CSV in the dialect of the reader's Excel.

Against the shared dashboard collector (4 demo stores x 60 days and a tiny
store); the last test clicks the workbook link in a real Chromium.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest

from sync.clock import utc_now
from tests.support.browser import login_session, submit_token

#: Twenty days inside the demo's sixty, none of them today.
PERIOD = {"from": str(utc_now().date() - timedelta(days=20)),
          "to": str(utc_now().date() - timedelta(days=1))}


def sheet_rows(sheet) -> list[dict]:
    """A sheet's rows as dicts of cells, by the header's names."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


@pytest.fixture(scope="module")
def office(dashboard_server):
    """A logged-in office session and the server's URL."""
    return login_session(dashboard_server, dashboard_server["tokens"]["office"]), \
        dashboard_server["url"]


def test_the_office_page_says_where_ratings_past_a_sheet_go(office):
    session, url = office
    page = session.get(url + "/office", timeout=30, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "An Excel sheet holds 1,048,575 ratings" in page.text
    assert "“ratings 2”" in page.text


@pytest.mark.parametrize("lang, starts", [
    ("fi", "\ufeffstore_id;date;"), ("sv", "\ufeffstore_id;date;"),
    ("de", "\ufeffstore_id;date;"), ("en", "store_id,date,"),
])
def test_the_csv_dialect_follows_the_readers_language(office, lang, starts):
    session, url = office
    answer = session.get(url + "/office/export/daily.csv", params=PERIOD, timeout=30,
                         headers={"Accept-Language": lang})
    assert answer.status_code == 200 and answer.text.startswith(starts)
    rows = list(csv.DictReader(io.StringIO(answer.text.removeprefix("\ufeff")),
                               delimiter=starts[-1]))
    decimal = "," if starts[-1] == ";" else "."
    assert all(decimal in row["csat"] for row in rows if row["csat"])
    assert rows and all(row["store_name"] for row in rows)


def test_a_link_can_ask_for_either_dialect(office):
    session, url = office
    plain = session.get(url + "/office/export/daily.csv", timeout=30,
                        params={**PERIOD, "dialect": "plain"}, headers={"Accept-Language": "fi"})
    nordic = session.get(url + "/office/export/daily.csv", timeout=30,
                         params={**PERIOD, "dialect": "excel-nordic"},
                         headers={"Accept-Language": "en"})
    assert plain.text.startswith("store_id,date,")
    assert nordic.content.startswith(b"\xef\xbb\xbfstore_id;date;")
    back = list(csv.DictReader(io.StringIO(nordic.text.removeprefix("\ufeff")), delimiter=";"))
    assert [float(row["csat"].replace(",", ".")) for row in back if row["csat"]] == [
        float(row["csat"]) for row in csv.DictReader(io.StringIO(plain.text)) if row["csat"]]


def test_an_unknown_dialect_is_a_plain_400(office):
    session, url = office
    for path in ("/office/export/daily.csv", "/office/export/ratings.csv"):
        answer = session.get(url + path, params={**PERIOD, "dialect": "excel"}, timeout=10)
        assert answer.status_code == 400 and answer.headers["content-type"].startswith(
            "text/plain")
        assert "dialect" in answer.text and "excel-nordic" in answer.text


def test_workbooks_of_the_period(office):
    session, url = office
    ratings = session.get(url + "/office/export/ratings.xlsx", params=PERIOD, timeout=60)
    assert ratings.status_code == 200
    assert ratings.headers["content-disposition"] == (
        f'attachment; filename="hymy-ratings-{PERIOD["from"]}-{PERIOD["to"]}.xlsx"')
    assert ratings.headers["cache-control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(ratings.content), read_only=True)
    rows = list(book["ratings"].iter_rows(min_row=2, values_only=True))
    text = session.get(url + "/office/export/ratings.csv", params={**PERIOD, "dialect": "plain"},
                       timeout=60).text
    assert len(rows) == text.count("\n") - 1 > 100
    daily = session.get(url + "/office/export/daily.xlsx", params=PERIOD, timeout=60)
    sheet = openpyxl.load_workbook(io.BytesIO(daily.content))["daily"]
    assert sheet.freeze_panes == "A2"
    first = sheet_rows(sheet)[0]
    assert first["date"].is_date and first["responses"].data_type == "n"


def test_staff_get_no_workbooks(dashboard_server):
    staff = login_session(dashboard_server, dashboard_server["tokens"]["staff"]["token"])
    for path in ("/office/export/ratings.xlsx", "/office/export/daily.xlsx"):
        assert staff.get(dashboard_server["url"] + path, timeout=10).status_code == 403


@pytest.mark.browser
def test_the_office_downloads_a_workbook_in_chromium(browser_page, dashboard_server, tmp_path):
    page = browser_page
    page.goto(dashboard_server["url"] + "/login")
    submit_token(page, dashboard_server["tokens"]["office"])
    page.wait_for_load_state("load")
    assert page.locator("#export .exports a").count() == 4
    assert "Excel" in page.locator("#export-ratings-xlsx").inner_text()
    with page.expect_download() as download:
        page.click("#export-ratings-xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = openpyxl.load_workbook(saved)
    sheet = book["ratings"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    first = sheet_rows(sheet)[0]
    assert first["created_at"].is_date and first["local_time"].is_date
    assert first["score"].data_type == "n" and first["store_name"].data_type == "s"
