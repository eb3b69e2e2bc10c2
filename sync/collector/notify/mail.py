"""E-mail over SMTP: one message, plain text plus an optional HTML part.

The server is one URL, ``HYMY_SMTP_URL``:

- ``smtp://HOST[:PORT]``: plain SMTP (port 25), for a relay on the same host;
- ``smtp+starttls://[USER:PASSWORD@]HOST[:PORT]``: STARTTLS (port 587);
- ``smtps://[USER:PASSWORD@]HOST[:PORT]``: TLS from the first byte (port 465).

User and password are percent-decoded, so ``p%40ss`` is ``p@ss``.  The
sender is ``HYMY_MAIL_FROM``.  Every failure becomes one :class:`MailError`
whose message names the server and what went wrong, for a CLI line or a
delivery log row.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_S = 20.0


class MailError(Exception):
    """A message could not be handed to the SMTP server (the text says why)."""


@dataclass(frozen=True)
class Attachment:
    """An inline part (e.g. a chart image referenced as ``cid:NAME`` from the HTML)."""

    name: str
    content: bytes
    mime: str = "image/png"


@dataclass(frozen=True)
class Mail:
    """One message to one address: what every channel is handed."""

    to: str
    subject: str
    text: str
    html: str | None = None
    inline: tuple[Attachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Server:
    """Where and how to hand mail over, parsed from ``HYMY_SMTP_URL``."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Server:
        """Read an SMTP URL; a ValueError names what is wrong with it."""
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise ValueError(
                f"HYMY_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {url!r}"
            )
        if not parts.hostname:
            raise ValueError(f"HYMY_SMTP_URL has no host: {url!r}")
        try:
            port = parts.port or SCHEMES[parts.scheme]
        except ValueError:
            raise ValueError(f"HYMY_SMTP_URL has a bad port: {url!r}") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.scheme, parts.hostname, port, user, password)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: text, then HTML as the alternative, inline parts beside it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(mail.text)
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html")
        html_part = msg.get_payload()[-1]
        for item in mail.inline:
            maintype, _, subtype = item.mime.partition("/")
            html_part.add_related(item.content, maintype=maintype, subtype=subtype,
                                  cid=f"<{item.name}>", filename=item.name)
    return msg


def send_mail(url: str, sender: str, mail: Mail, timeout: float = TIMEOUT_S) -> None:
    """Hand ``mail`` to the server at ``url``; raise :class:`MailError` if it is not taken."""
    try:
        server = Server.parse(url)
    except ValueError as exc:
        raise MailError(str(exc)) from None
    try:
        with _connect(server, timeout) as smtp:
            if server.user:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message(mail, sender))
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{server} refused the user name or password ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused:
        raise MailError(f"{server} refused the address {mail.to!r}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{server} did not take the message: {exc}") from None
    except ssl.SSLError as exc:
        raise MailError(f"TLS with {server} failed: {exc.reason or exc}") from None
    except OSError as exc:  # refused, unreachable, timed out
        raise MailError(f"cannot reach the mail server {server}: {exc}") from None


def _connect(server: Server, timeout: float) -> smtplib.SMTP:
    """An open, greeted connection, encrypted as the URL asks."""
    context = ssl.create_default_context()
    if server.scheme == "smtps":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.scheme == "smtp+starttls":
        smtp.starttls(context=context)
    return smtp
