"""Issue #16's "Done when", end to end, on both database backends.

A chain (North > Helsinki, and South) with two stores, each with three kiosks:
CSAT at the checkout, CES at the service desk, NPS at the exit, set up with
``hymy-collector`` and the admin API of a real collector process.  Helsinki's
three kiosks are the real kiosk app under Xvfb, all configured alike: each asks
the survey the office set for its touchpoint (fetched from the collector), is
tapped with xdotool, and uploads with its own sync thread; South's kiosks send their batches to the
ingest API.  A shopper's phone (Chromium at 390x844) opens the comment link
the checkout kiosk shows as a QR code and leaves a comment with an e-mail
address in it.  Then the office, in Chromium, sees each kind's figure with its
interval on the store page, the region pages and the office page, and the
comment on the store page with the address masked.

Every expected number is computed here with :mod:`sync.metrics` from the
answers given (``TAPPED``, ``SENT``).  What each page must show is in the
``expect_*`` helpers, so the checks grow with the pages.

The link is read from the kiosk (its test status, which the app writes only
under ``HYMY_KIOSK_TEST_STATUS``) and the QR code on the screenshot is checked
module by module to be exactly that link: no QR decoder is installed here.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import segno

from sync import metrics
from sync.collector.web.i18n import Translator
from tests.support.browser import signed_in_page
from tests.support.collector import Collector, batch, rating
from tests.support.kiosk_window import Kiosk, read_symbol

pytestmark = [pytest.mark.ui, pytest.mark.browser]

EN = Translator("en")
SCALES = {"csat": 5, "ces": 7, "nps": 11}
#: The surveys the office sets for the Helsinki store's touchpoints; its kiosks are all
#: set up alike (the default, CSAT) and ask what the collector gives their touchpoint.
SURVEYS = {
    "checkout": {"kind": "csat", "scale": 5, "questions": {"en": "How was your visit today?"}},
    "service_desk": {"kind": "ces", "questions": {"en": "It was easy to get my errand done"}},
    "exit": {"kind": "nps", "questions": {"en": "Would you recommend us to a friend?"}},
}
#: Where each kind is asked: touchpoint -> kind.
POINTS = {"checkout": "csat", "service_desk": "ces", "exit": "nps"}
REGIONS = (("north", "North", None), ("helsinki", "Helsinki", "north"), ("south", "South", None))
#: store -> (name, region)
STORES = {"hki-1": ("Helsinki Centre", "helsinki"), "south-1": ("South Harbour", "south")}
TZ = "Europe/Helsinki"
#: Answers tapped on Helsinki's real kiosks, and sent as South's kiosks' batches, per kind.
TAPPED = {"csat": [5, 4, 2], "ces": [7, 5, 2], "nps": [10, 9, 6]}
SENT = {"csat": [5, 5, 4, 1], "ces": [6, 6, 3], "nps": [10, 10, 7, 3, 0]}
EMAIL = "kim.virtanen@example.com"
COMMENT = f"The card reader at the checkout froze. Tell me when it is fixed: {EMAIL}"
#: How long the checkout kiosk thanks (and shows its QR code): long enough for a screenshot.
QR_THANKS_S = 8


def kiosk_id(store_id: str, point: str) -> str:
    return f"{store_id}-{point.replace('_', '-')}"


# -- what the pages must show, from sync.metrics -----------------------------------------


def figures(*answers: dict[str, list[int]]) -> dict[str, metrics.Figure]:
    """Each kind's figure over the answers of these stores (kind -> scores)."""
    return {kind: metrics.figure(kind, [(SCALES[kind], score, 1) for given in answers
                                        for score in given[kind]]) for kind in SCALES}


def rounded(fig: metrics.Figure) -> tuple[float, float, float, int]:
    """A figure as the pages' data attributes carry it: value, interval, responses."""
    digits = 2 if fig.kind == "ces" else 1
    return (round(fig.value, digits), round(fig.ci_low, digits), round(fig.ci_high, digits),
            fig.responses)


def on_page(element: Any, value: str = "data-csat") -> tuple[float, float, float, int]:
    """The figure a card or a table row carries in its data attributes."""
    return (float(element.get_attribute(value)), float(element.get_attribute("data-ci-low")),
            float(element.get_attribute("data-ci-high")),
            int(element.get_attribute("data-responses")))


def expect_store_page(page: Any, answers: dict[str, list[int]]) -> None:
    """A store page: CSAT, NPS and CES cards with their intervals; its touchpoints compared
    (CSAT, with its interval, where it is asked).

    Each touchpoint's row carries the figure of the kind it asks."""
    want = figures(answers)
    assert on_page(page.locator("#period")) == rounded(want["csat"])
    for kind in ("nps", "ces"):
        card = page.locator(f"#kind-{kind}")
        assert on_page(card, "data-value") == rounded(want[kind]), kind
        value, low, high, _n = rounded(want[kind])
        decimals = 1 if kind == "ces" else 0
        assert card.locator("[data-role=ci]").inner_text() == EN(
            "ci_to", low=EN.number(low, decimals), high=EN.number(high, decimals))
    rows = page.locator("#touchpoint-table tbody tr")
    assert sorted(rows.nth(i).get_attribute("data-touchpoint")
                  for i in range(rows.count())) == sorted(POINTS)
    for point in POINTS:
        assert EN(f"tp_{point}") in page.locator(
            f"#touchpoint-table tr[data-touchpoint={point}]").inner_text()
    for point, kind in POINTS.items():  # each touchpoint with its own kind's figure
        row = page.locator(f"#touchpoint-table tr[data-touchpoint={point}][data-kind={kind}]")
        assert on_page(row, "data-value") == rounded(want[kind]), point
    checkout = page.locator("#touchpoint-table tr[data-touchpoint=checkout]")
    _v, low, high, n = rounded(want["csat"])
    assert EN.pct_range(low, high) in checkout.inner_text()


def expect_region_page(page: Any, stores: dict[str, dict[str, list[int]]],
                       subregions: dict[str, dict[str, dict[str, list[int]]]]) -> None:
    """A region page: the region's CSAT with its interval over all its stores (its
    sub-regions' too), each store ranked with its own, each sub-region's responses.
    NPS and CES: the region's cards over all its stores' answers."""
    whole = figures(*stores.values())
    assert on_page(page.locator("#region")) == rounded(whole["csat"])
    for kind in ("nps", "ces"):
        assert on_page(page.locator(f"#kind-{kind}"), "data-value") == rounded(whole[kind]), kind
    for store_id, answers in stores.items():
        row = page.locator(f"#region-ranking tr[data-store='{store_id}']")
        _v, low, high, n = rounded(figures(answers)["csat"])
        assert int(row.get_attribute("data-responses")) == n
        assert EN.pct_range(low, high) in row.inner_text()
    for region_id, members in subregions.items():
        row = page.locator(f"#subregion-table tr[data-region='{region_id}']")
        assert int(row.get_attribute("data-responses")) == figures(
            *members.values())["csat"].responses


def expect_office_page(page: Any, stores: dict[str, dict[str, list[int]]]) -> None:
    """The office page: the chain's CSAT with its interval; each store ranked with its own."""
    assert on_page(page.locator("#chain")) == rounded(figures(*stores.values())["csat"])
    for store_id, answers in stores.items():
        row = page.locator(f"#ranking tr[data-store='{store_id}']")
        assert on_page(row) == rounded(figures(answers)["csat"]), store_id


def expect_office_kind(page: Any, kind: str, stores: dict[str, dict[str, list[int]]]) -> None:
    """The office ranking of one kind (its selector's link): each store's figure of it."""
    page.locator(f"#kind-picker a[data-kind={kind}]").first.click()
    page.wait_for_url(f"**kind={kind}**")
    for store_id, answers in stores.items():
        row = page.locator(f"#ranking tr[data-store='{store_id}'][data-kind={kind}]")
        assert on_page(row, "data-value") == rounded(figures(answers)[kind]), (kind, store_id)


def expect_kind_ranking(collector: Collector, stores: dict[str, dict[str, list[int]]]) -> None:
    """The office's ranking API for each kind: every store's figure with its interval."""
    for kind in SCALES:
        answer = collector.request("GET", "/api/v1/ranking", collector.office_token,
                                   params={"kind": kind, "min_responses": 1})
        assert answer.status_code == 200, answer.text
        ranked = {row["store_id"]: row for row in answer.json()["stores"]}
        for store_id, answers in stores.items():
            row = ranked[store_id]
            value = row["csat"] if kind == "csat" else row["value"]
            assert (value, row["ci_low"], row["ci_high"], row["responses"]) == rounded(
                figures(answers)[kind]), (kind, store_id)


# -- the chain, the kiosks and the phone -----------------------------------------------


def set_up_chain(collector: Collector) -> dict[str, str]:
    """Regions and stores with the CLI, kiosks at their touchpoints with the admin API;
    the kiosks' tokens by kiosk id."""
    for region_id, name, parent in REGIONS:
        collector.cli("region", "add", region_id, name, *(["--parent", parent] if parent else []))
    for store_id, (name, region_id) in STORES.items():
        collector.cli("store", "add", store_id, "--name", name, "--timezone", TZ,
                      "--region", region_id)
    tokens = {}
    for store_id in STORES:
        for point in POINTS:
            made = collector.request("POST", f"/api/v1/stores/{store_id}/kiosks",
                                     collector.admin_token,
                                     json={"id": kiosk_id(store_id, point), "touchpoint": point})
            assert made.status_code == 201, made.text
            tokens[kiosk_id(store_id, point)] = made.json()["token"]
    for point, survey in SURVEYS.items():  # the office sets each touchpoint's question
        answer = collector.request("PUT", f"/api/v1/stores/hki-1/touchpoints/{point}/survey",
                                   collector.admin_token, json=survey)
        assert answer.status_code == 200, answer.text
    return tokens


def wait_stored(collector: Collector, ids: set[str], timeout: float = 90) -> list[dict]:
    """Wait until the collector's export holds every rating in ``ids``; those rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [row for row in collector.export()[0] if row["id"] in ids]
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def button(kind: str, score: int) -> str:
    return f"face-{score}" if kind == "csat" else f"score-{score}"


def link_from_qr(kiosk: Kiosk, status: dict[str, Any]) -> str:
    """The comment link on the thank-you screen: the kiosk's own, and the QR code on the
    screen is exactly that link, module by module."""
    url = status["comment_url"]
    centre = kiosk.target("comment-qr")
    image = kiosk.screenshot()
    still = kiosk.status()
    assert still["screen"] == "thanks" and still["last_tap"] == status["last_tap"], \
        "the thank-you screen went away before the screenshot"
    expected = [[bool(m) for m in row] for row in segno.make(url, error="m").matrix]
    assert read_symbol(image, centre, len(expected)) == expected
    return url


def tap_kiosk(collector: Collector, display: str, folder: Path, store_id: str, point: str,
              token: str) -> tuple[list[dict], str | None]:
    """Run the real kiosk at ``point``, tap TAPPED on it, wait until the collector has them;
    the collector's rows, and the comment link of the last tap (checkout only)."""
    kind = POINTS[point]
    folder.mkdir()
    qr = kind == "csat"
    kiosk = Kiosk(folder, display, store_id=store_id, kiosk_id=kiosk_id(store_id, point),
                  reasons=[], positive_reasons=[], languages=["en"],
                  thanks_delay=QR_THANKS_S if qr else 0.6, comments=qr, comment_delay=QR_THANKS_S,
                  sync={"url": collector.url, "token": token, "interval": 1})
    link = None
    try:  # the question of its touchpoint's survey, fetched from the collector
        kiosk.wait(lambda status: button(kind, TAPPED[kind][0]) in status["targets"]
                   and status["question"] == SURVEYS[point]["questions"]["en"],
                   f"the {kind} survey of {point}", timeout=90)
        for n, score in enumerate(TAPPED[kind]):
            status = kiosk.tap_answer(button(kind, score))
            if qr and n == len(TAPPED[kind]) - 1:
                link = link_from_qr(kiosk, status)
            else:
                kiosk.wait_screen("rating", timeout=60)
        taps = kiosk.wait_rows(len(TAPPED[kind]))
        assert [(row["kind"], row["score"]) for row in taps] == [
            (kind, score) for score in TAPPED[kind]]
        stored = wait_stored(collector, {row["id"] for row in taps})
    finally:
        kiosk.stop()
    return stored, link


def send_batches(collector: Collector, store_id: str, tokens: dict[str, str]) -> None:
    """South's kiosks upload SENT as the wire format's batches."""
    for point, kind in POINTS.items():
        ratings = [rating(seq, score, SCALES[kind], tz=TZ, kind=kind)
                   for seq, score in enumerate(SENT[kind], start=1)]
        answer = collector.request("POST", "/api/v1/batches", tokens[kiosk_id(store_id, point)],
                                   json=batch(ratings))
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == len(ratings), answer.text


def comment_from_phone(browser: Any, link: str) -> None:
    """A shopper's phone opens the link, writes the comment and sends it."""
    with signed_in_page(browser, link, None, width=390, height=844, lang="en") as phone:
        phone.goto(link)
        assert phone.evaluate("window.innerWidth") == 390
        phone.fill("#text", COMMENT)
        phone.click("#send")
        phone.wait_for_selector("#comment-message")


# -- the test ----------------------------------------------------------------------------


def test_each_touchpoint_asks_its_kind_and_the_office_sees_every_figure_and_the_comment(
    xvfb_display: str, browser_chromium: Any, collector_database: str, tmp_path: Path
):
    collector = Collector(tmp_path, collector_database)
    collector.start(env={"HYMY_MIN_RESPONSES": "1"})
    try:
        tokens = set_up_chain(collector)
        link = None
        for point, kind in POINTS.items():
            stored, made = tap_kiosk(collector, xvfb_display, tmp_path / point, "hki-1", point,
                                     tokens[kiosk_id("hki-1", point)])
            assert sorted((row["question_kind"], row["score"]) for row in stored) == sorted(
                (kind, score) for score in TAPPED[kind]), point
            link = link or made
        send_batches(collector, "south-1", tokens)
        assert link and link.startswith(f"{collector.url}/c/{kiosk_id('hki-1', 'checkout')}~")
        comment_from_phone(browser_chromium, link)

        chain = {"hki-1": TAPPED, "south-1": SENT}
        expect_kind_ranking(collector, chain)
        with signed_in_page(browser_chromium, collector.url, collector.office_token,
                            lang="en") as page:
            page.goto(f"{collector.url}/office?lang=en")
            expect_office_page(page, chain)
            for kind in ("nps", "ces"):
                expect_office_kind(page, kind, chain)
            page.goto(f"{collector.url}/regions/north?lang=en")
            expect_region_page(page, {"hki-1": TAPPED}, {"helsinki": {"hki-1": TAPPED}})
            page.goto(f"{collector.url}/regions/south?lang=en")
            expect_region_page(page, {"south-1": SENT}, {})
            page.goto(f"{collector.url}/stores/south-1?lang=en")
            expect_store_page(page, SENT)
            page.goto(f"{collector.url}/stores/hki-1?lang=en")
            expect_store_page(page, TAPPED)
            rating_id = link.split("~")[1]
            shown = page.locator("#comments li").filter(has_text="card reader")
            assert shown.locator("blockquote").inner_text() == COMMENT.replace(EMAIL, "[e-mail]")
            assert shown.get_attribute("data-rating").replace("-", "") == rating_id
            assert EMAIL not in page.content()
    finally:
        collector.stop()
