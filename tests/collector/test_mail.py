"""E-mail reaches a real SMTP server with both parts, and a bad server gets a clear error."""

from __future__ import annotations

import pytest

from sync.collector.notify.mail import Attachment, Mail, MailError, Server, send_mail
from sync.collector.settings import Settings
from tests.support.collector import free_port
from tests.support.smtp import smtp_server


def test_a_mail_arrives_with_text_html_and_an_inline_image():
    with smtp_server() as box:
        send_mail(box.url, "hymy@shop.example", Mail(
            to="anna@shop.example", subject="Hymy: Kamppi", text="Tyytyväisyys 82 %",
            html='<p>Tyytyväisyys <b>82 %</b></p><img src="cid:chart.png">',
            inline=(Attachment("chart.png", b"\x89PNG fake"),),
        ))
        [msg] = box.wait(1)
    assert msg["To"] == "anna@shop.example"
    assert msg["From"] == "hymy@shop.example"
    assert msg["Subject"] == "Hymy: Kamppi"
    assert msg.get_body(("plain",)).get_content().strip() == "Tyytyväisyys 82 %"
    assert "<b>82 %</b>" in msg.get_body(("html",)).get_content()
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<chart.png>"
    assert image.get_content() == b"\x89PNG fake"
    assert box.envelopes == [("hymy@shop.example", ["anna@shop.example"])]


def test_an_unreachable_server_is_named_in_the_error():
    url = f"smtp://127.0.0.1:{free_port()}"
    with pytest.raises(MailError, match=r"cannot reach the mail server smtp://127.0.0.1:\d+"):
        send_mail(url, "hymy@localhost", Mail("a@b.example", "s", "t"), timeout=5)


@pytest.mark.parametrize(("url", "scheme", "port", "user", "password"), [
    ("smtp://relay", "smtp", 25, None, None),
    ("smtp+starttls://hymy:p%40ss@mail.example:2525", "smtp+starttls", 2525, "hymy", "p@ss"),
    ("smtps://hymy:secret@mail.example", "smtps", 465, "hymy", "secret"),
])
def test_smtp_urls_are_read(url, scheme, port, user, password):
    server = Server.parse(url)
    assert (server.scheme, server.port, server.user, server.password) == (
        scheme, port, user, password)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtps://h:99999"])
def test_a_bad_smtp_url_stops_the_collector_with_a_clear_message(url):
    with pytest.raises(ValueError, match="HYMY_SMTP_URL"):
        Settings.from_env({"HYMY_SMTP_URL": url})
