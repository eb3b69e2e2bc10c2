"""The thank-you screen's QR code, end to end: a real kiosk under Xvfb, a real collector.

The kiosk signs the comment link offline at the tap; the code on screen is
read back module by module from a screenshot and must be exactly the link the
kiosk reports; the link opens the collector's page, takes the comment (masked),
and once the kiosk has synced, the comment sits on the store page with its face.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import segno

from tests.support import ROOT
from tests.support.browser import login_session
from tests.support.collector import Collector
from tests.support.comments import send_comment
from tests.support.kiosk_window import Kiosk, read_symbol, xdotool

pytestmark = pytest.mark.ui
SCREENSHOT = ROOT / "docs" / "screenshots" / "kiosk-thanks-qr.png"


def test_a_tap_shows_its_signed_link_as_a_qr_code_and_the_comment_lands_on_the_store_page(
        xvfb_display: str, tmp_path: Path):
    collector = Collector(tmp_path)
    collector.start()
    try:
        store = collector.new_store()
        folder = tmp_path / "kiosk"
        folder.mkdir()
        kiosk = Kiosk(folder, xvfb_display, store_id=store.store_id, kiosk_id=store.kiosk_id,
                      thanks_delay=30, comment_delay=30, comments=True, reasons=[],
                      languages=["en", "fi"],
                      sync={"url": collector.url, "token": store.kiosk_token, "interval": 1})
        try:
            status = kiosk.tap_face(4)
            url = status["comment_url"]
            rating_id = status["last_tap"]["id"]
            token_start = f"/c/{store.kiosk_id}~{rating_id.replace('-', '')}~"
            assert url.startswith(collector.url + token_start)
            centre = kiosk.target("comment-qr")
            assert "Scan the code" in kiosk.text("comment-hint")
            image = kiosk.screenshot()
            image.crop((0, 0, 1280, 800)).save(tmp_path / "thanks.png")
            expected = [[bool(m) for m in row] for row in segno.make(url, error="m").matrix]
            assert read_symbol(image, centre, len(expected)) == expected
            if SCREENSHOT.parent.is_dir():
                shutil.copy(tmp_path / "thanks.png", SCREENSHOT)

            answer = send_comment(url, "Quick checkout! Reach me at kim@example.com")
            assert answer.status_code == 200, answer.text
            session = login_session({"url": collector.url}, store.staff_token)

            def page() -> str:
                return session.get(f"{collector.url}/stores/{store.store_id}?lang=en").text

            deadline = time.monotonic() + 60
            while 'alt="Satisfied"' not in page() and time.monotonic() < deadline:
                time.sleep(0.5)
            shown = page()
            assert "Quick checkout! Reach me at [e-mail]" in shown and "kim@" not in shown
            assert f'data-rating="{rating_id}"' in shown and 'alt="Satisfied"' in shown
        finally:
            kiosk.stop()
    finally:
        collector.stop()


def test_without_comments_the_thank_you_screen_has_no_code(xvfb_display: str, tmp_path: Path):
    kiosk = Kiosk(tmp_path, xvfb_display, thanks_delay=5, reasons=[])
    try:
        status = kiosk.tap_face(5)
        assert status["comment_url"] == ""
        assert "comment-qr" not in kiosk.wait(lambda s: "thanks" in s["targets"],
                                              "the thank-you screen")["targets"]
    finally:
        kiosk.stop()


def test_the_code_stays_long_enough_to_scan_and_a_tap_brings_the_question_back(
        xvfb_display: str, tmp_path: Path):
    """``comment_delay`` (not the short ``thanks_delay``) holds the QR screen; the next
    shopper's tap on it brings the question back at once, and is not a rating."""
    kiosk = Kiosk(tmp_path, xvfb_display, thanks_delay=1, comment_delay=120, comments=True,
                  reasons=[], languages=["en"],
                  sync={"url": "http://127.0.0.1:9", "token": "hymy_" + "k" * 40})
    try:
        status = kiosk.tap_face(4)
        assert status["comment_url"]
        time.sleep(4)  # well past thanks_delay: still the code
        assert kiosk.status()["screen"] == "thanks"
        assert "comment-qr" in kiosk.status()["targets"]
        x, y = kiosk.target("thanks")
        xdotool(kiosk.display, "mousemove", x, y, "click", 1)
        kiosk.wait_screen("rating", timeout=20)
        assert len(kiosk.rows()) == 1  # the dismissing tap stored nothing
    finally:
        kiosk.stop()
