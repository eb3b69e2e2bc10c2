"""People sign in with their own accounts: invitations, passwords, e-mailed links, the users page.

A real collector (``hymy-collector serve``) on loopback and a real SMTP server
(aiosmtpd, :mod:`tests.support.smtp`) that receives the invitations and
sign-in links; the links are followed with requests or in headless Chromium.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sync.collector.db.connection import Database
from sync.collector.web.i18n import Translator
from tests.support.browser import running_collector
from tests.support.smtp import Mailbox, smtp_server

FI, EN = Translator("fi"), Translator("en")
PASSWORD = "kamppi-2026-hymy"  # noqa: S105 (a test account's)
LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/(?:link|invite)/[A-Za-z0-9_-]+(?:\?lang=[a-z]{2})?")


class Server:
    """A running collector with stores a, b, c (a kiosk each), its database and mailbox."""

    def __init__(self, url: str, database: str, box: Mailbox | None) -> None:
        self.url, self.database, self.box = url, database, box

    def cli(self, *args: str, stdin: str = "", mail: bool = True) -> subprocess.CompletedProcess:
        """``hymy-collector ARGS`` against this collector's database (and its mail server)."""
        env = {**os.environ, "HYMY_PUBLIC_URL": self.url}
        if mail and self.box is not None:
            env["HYMY_SMTP_URL"] = self.box.url
        done = subprocess.run([sys.executable, "-m", "sync.collector", *args,
                               "--database", self.database], input=stdin, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done

    def person(self, email: str, *access: str) -> None:
        """An account with :data:`PASSWORD` (its invitation printed, not mailed)."""
        self.cli("user", "add", email, *access, mail=False)
        self.cli("user", "password", email, stdin=f"{PASSWORD}\n{PASSWORD}\n")

    def mail_to(self, address: str, count: int) -> EmailMessage:
        """The newest message to ``address``, once ``count`` messages have arrived in all."""
        assert self.box is not None
        return [m for m in self.box.wait(count) if m["To"] == address][-1]


def start(tmp: Path, box: Mailbox | None) -> Iterator[Server]:
    database = str(tmp / "collector.db")
    server = Server("", database, box)
    for store in "abc":
        server.cli("store", "add", store, "--name", f"Store {store.upper()}",
                   "--timezone", "Europe/Helsinki")
        server.cli("kiosk", "add", f"{store}-1", "--store", store)
    saved = os.environ.pop("HYMY_SMTP_URL", None)  # the server reads it from its environment
    if box is not None:
        os.environ["HYMY_SMTP_URL"] = box.url
    try:
        with running_collector(Path(database)) as url:
            server.url = url
            yield server
    finally:
        os.environ.pop("HYMY_SMTP_URL", None)
        if saved is not None:
            os.environ["HYMY_SMTP_URL"] = saved


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with smtp_server() as box:
        yield from start(tmp_path_factory.mktemp("people"), box)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post_form(session: requests.Session, page: str, action: str, **fields: str
              ) -> requests.Response:
    """Open ``page``, then post its form to ``action`` with its CSRF token and ``fields``."""
    csrf = csrf_of(session.get(page, timeout=10).text)
    return session.post(action, data={"csrf": csrf, **fields}, allow_redirects=False,
                        timeout=30)


def sign_in(server: Server, email: str, password: str = PASSWORD,
            session: requests.Session | None = None, **headers: str) -> requests.Response:
    session = session or requests.Session()
    session.headers.update(headers)
    return post_form(session, server.url + "/login", server.url + "/login/password",
                     email=email, password=password)


def signed_in(server: Server, email: str) -> requests.Session:
    session = requests.Session()
    assert sign_in(server, email, session=session).status_code == 303
    return session


def link_in(mail: EmailMessage) -> str:
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    url = LINK.search(text).group(0)
    assert f'href="{url}"' in html
    return url


# -- invitations and passwords ----------------------------------------------------


def test_an_invitation_by_mail_sets_a_password_which_then_signs_in(people):
    before = len(people.box.messages)
    people.cli("user", "add", "Inka@Example.com", "--role", "staff", "--store", "a",
               "--name", "Inka", "--language", "en")
    mail = people.mail_to("inka@example.com", before + 1)
    assert mail["Subject"] == EN("mail_invite_subject")
    assert mail.get_body(("plain",)).get_content().startswith("Hello Inka,")
    url = link_in(mail)
    assert url.startswith(people.url + "/login/invite/") and url.endswith("?lang=en")
    session = requests.Session()  # its pages in the mail's language, English
    page = session.get(url, timeout=10)
    assert page.status_code == 200 and "inka@example.com" in page.text
    differ = post_form(session, url, url, password=PASSWORD, again=PASSWORD + "x")
    assert differ.status_code == 422 and EN("password_mismatch") in differ.text
    short = post_form(session, url, url, password="short", again="short")  # noqa: S106
    assert short.status_code == 422 and EN("password_short") in short.text
    done = post_form(session, url, url, password=PASSWORD, again=PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/stores/a"
    assert session.get(people.url + "/stores/a", timeout=10).status_code == 200
    spent = requests.get(url, timeout=10)
    assert spent.status_code == 410 and EN("invite_expired") in spent.text

    wrong = sign_in(people, "inka@example.com", PASSWORD + "!")
    assert wrong.status_code == 401 and FI("login_password_failed") in wrong.text
    assert "hymy_session" not in wrong.cookies
    right = sign_in(people, "INKA@example.com ")
    assert right.status_code == 303 and right.headers["location"] == "/stores/a"


# -- sign-in links ------------------------------------------------------------------


@pytest.mark.browser
def test_a_sign_in_link_by_mail_signs_in_in_the_browser(people, browser_page):
    people.person("lauri@example.com", "--role", "staff", "--store", "b")
    before = len(people.box.messages)
    page = browser_page
    page.goto(people.url + "/login")
    page.fill("#link-email", "Lauri@example.com")
    page.click("#link-submit")
    assert FI("login_link_sent", email="lauri@example.com") in page.locator(
        ".notice.info").inner_text()
    mail = people.mail_to("lauri@example.com", before + 1)
    assert mail["Subject"] == FI("mail_signin_subject")
    url = link_in(mail)
    page.goto(url)
    assert FI("link_confirm", email="lauri@example.com") in page.locator("#link-who").inner_text()
    page.click("#link-use")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/stores/b"
    assert page.locator("#logout").is_visible()
    page.goto(url)  # used once: it signs nobody in again
    assert FI("link_used") in page.locator(".notice.error").inner_text()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(people):
    before = len(people.box.messages)
    answer = post_form(requests.Session(), people.url + "/login", people.url + "/login/link",
                       email="nobody@example.com")
    assert answer.status_code == 200
    assert FI("login_link_sent", email="nobody@example.com") in answer.text
    with pytest.raises(AssertionError):
        people.box.wait(before + 1, timeout=2)


def test_an_expired_link_says_so_and_offers_a_new_one(people):
    people.person("maija@example.com", "--role", "office")
    before = len(people.box.messages)
    post_form(requests.Session(), people.url + "/login", people.url + "/login/link",
              email="maija@example.com")
    url = link_in(people.mail_to("maija@example.com", before + 1))
    db = Database(people.database)
    with db.transaction(serialize=True) as conn:  # 16 minutes later
        conn.execute("UPDATE user_links SET expires_at = '2000-01-01T00:00:00.000Z'"
                     " WHERE purpose = 'signin'")
    db.close()
    page = requests.get(url, timeout=10)
    assert page.status_code == 410 and FI("link_expired") in page.text
    assert 'action="/login/link"' in page.text and FI("login_link_button") in page.text
    used = post_form(requests.Session(), url, url)
    assert used.status_code == 410 and "hymy_session" not in used.cookies
    nonsense = requests.get(people.url + "/login/link/not-a-link", timeout=10)
    assert nonsense.status_code == 404 and FI("link_unknown") in nonsense.text


def test_a_disabled_user_can_do_nothing(people):
    people.person("niko@example.com", "--role", "staff", "--store", "a")
    session = signed_in(people, "niko@example.com")
    before = len(people.box.messages)
    post_form(requests.Session(), people.url + "/login", people.url + "/login/link",
              email="niko@example.com")
    url = link_in(people.mail_to("niko@example.com", before + 1))
    people.cli("user", "disable", "niko@example.com")
    gone = session.get(people.url + "/stores/a", allow_redirects=False, timeout=10)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert sign_in(people, "niko@example.com").status_code == 401
    assert requests.get(url, timeout=10).status_code == 410
    post_form(requests.Session(), people.url + "/login", people.url + "/login/link",
              email="niko@example.com")
    with pytest.raises(AssertionError):
        people.box.wait(before + 2, timeout=2)
    people.cli("user", "enable", "niko@example.com")
    assert sign_in(people, "niko@example.com").status_code == 303


# -- what a person sees ---------------------------------------------------------------


def test_staff_with_two_stores_see_both_and_not_a_third(people):
    people.person("oona@example.com", "--role", "staff", "--store", "a", "--store", "c")
    session = signed_in(people, "oona@example.com")
    home = session.get(people.url + "/", allow_redirects=False, timeout=10)
    assert home.headers["location"] == "/stores/a"
    assert session.get(people.url + "/stores/a", timeout=10).status_code == 200
    page = session.get(people.url + "/stores/c", timeout=10)
    assert page.status_code == 200
    assert 'href="/stores/a"' in page.text and 'href="/stores/c"' in page.text
    assert 'href="/stores/b"' not in page.text
    assert session.get(people.url + "/stores/b", timeout=10).status_code == 403
    assert session.get(people.url + "/office", timeout=10).status_code == 403
    fleet = session.get(people.url + "/fleet", timeout=10).text
    assert set(re.findall(r'data-kiosk="([^"]+)"', fleet)) == {"a-1", "c-1"}
    assert session.get(people.url + "/admin/users", timeout=10).status_code == 403


def test_the_admin_invites_changes_and_disables_people_on_the_users_page(people):
    people.person("pia@example.com", "--role", "admin")
    admin = signed_in(people, "pia@example.com")
    users = people.url + "/admin/users"
    before = len(people.box.messages)
    added = post_form(admin, users, users, email="Rasmus@Example.com", name="Rasmus",
                      role="staff", stores="b", language="sv")
    assert added.status_code == 201, added.text
    assert FI("user_added_mail", email="rasmus@example.com") in added.text
    mail = people.mail_to("rasmus@example.com", before + 1)
    assert mail["Subject"] == Translator("sv")("mail_invite_subject")
    row = re.search(r'<tr data-user="rasmus@example.com" data-state="invited">.*?</tr>',
                    added.text, re.S).group(0)
    page = people.url + re.search(r'href="(/admin/users/\d+)"', row).group(1)
    again = post_form(admin, users, users, email="rasmus@example.com", role="office")
    assert again.status_code == 422 and "already exists" in again.text
    no_store = post_form(admin, users, users, email="sara@example.com", role="staff")
    assert no_store.status_code == 422 and "at least one" in no_store.text
    changed = post_form(admin, page, page + "/access", role="staff", stores=["a", "c"])
    assert changed.status_code == 200 and FI("user_changed", email="rasmus@example.com") in (
        changed.text)
    assert "a,c" in people.cli("user", "list").stdout
    disabled = post_form(admin, page, page + "/disable")
    assert disabled.status_code == 303
    assert 'data-user="rasmus@example.com" data-state="disabled"' in admin.get(users).text
    forged = admin.post(page + "/enable", data={"csrf": "x" * 64}, allow_redirects=False)
    assert forged.status_code == 403
    assert 'data-state="disabled"' in admin.get(page).text


# -- throttling -------------------------------------------------------------------------


@pytest.fixture
def quiet(tmp_path: Path) -> Iterator[Server]:
    """A collector of its own (the login throttle is per process), without mail."""
    yield from start(tmp_path, None)


def test_wrong_passwords_are_throttled_per_address_and_per_account(quiet):
    quiet.person("tiina@example.com", "--role", "office")
    quiet.person("ulla@example.com", "--role", "office")
    for n in range(10):  # ten addresses, one account
        wrong = sign_in(quiet, "tiina@example.com", "wrong-password",
                        **{"X-Forwarded-For": f"10.0.0.{n + 1}"})
        assert wrong.status_code == 401
    locked = sign_in(quiet, "tiina@example.com", **{"X-Forwarded-For": "10.0.1.1"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert FI("login_throttled", minutes=15) in locked.text
    assert sign_in(quiet, "ulla@example.com", **{"X-Forwarded-For": "10.0.1.1"}
                   ).status_code == 303
    for n in range(10):  # one address, ten accounts
        sign_in(quiet, f"guess{n}@example.com", "wrong-password",
                **{"X-Forwarded-For": "10.0.2.1"})
    assert sign_in(quiet, "ulla@example.com", **{"X-Forwarded-For": "10.0.2.1"}
                   ).status_code == 429
    assert sign_in(quiet, "ulla@example.com", **{"X-Forwarded-For": "10.0.3.1"}
                   ).status_code == 303
    no_mail = post_form(requests.Session(), quiet.url + "/login", quiet.url + "/login/link",
                        email="ulla@example.com")
    assert no_mail.status_code == 503 and FI("login_link_no_mail") in no_mail.text
