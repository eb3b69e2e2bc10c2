"""Sign-in and invitation e-mails: a one-time link, in the person's language.

The link's secret is made and stored by :meth:`Storage.issue_link`; this
module only writes the mail (plain text plus a small HTML part with the same
link) and hands it to :func:`~sync.collector.notify.mail.send_mail`.  The
address in the link is ``public_url`` when set, so a forged Host header
cannot point a mail at another site.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sync.collector.notify.mail import Mail, send_mail
from sync.collector.settings import Settings
from sync.collector.web.i18n import DEFAULT, Translator

#: The dashboard path each kind of link opens.
PATHS = {"signin": "/login/link/", "invite": "/login/invite/"}


def base_url(settings: Settings, seen: str | None = None) -> str:
    """Where people open the dashboard: ``public_url``, else the address the browser
    used (``seen``), else ``http://HOST:PORT``."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if seen:
        return seen.rstrip("/")
    return f"http://{settings.host}:{settings.port}"


def link_url(settings: Settings, purpose: str, secret: str, seen: str | None = None,
             lang: str | None = None) -> str:
    """The full address of a sign-in (``signin``) or invitation (``invite``) link; with
    the person's ``lang`` its page speaks the language the mail did, whatever the
    browser asks for."""
    return base_url(settings, seen) + PATHS[purpose] + secret + (f"?lang={lang}" if lang else "")


def link_mail(user: dict[str, Any], purpose: str, url: str) -> Mail:
    """The message carrying ``url`` to ``user``, in their language (else the default)."""
    t = Translator(user.get("language") or DEFAULT)
    name = user.get("name") or user["email"]
    text = t(f"mail_{purpose}_text", name=name, url=url)
    button = t("invite_button" if purpose == "invite" else "link_title")
    paragraphs = "".join(f"<p>{escape(part).replace(escape(url), _button(url, button))}</p>"
                         for part in text.split("\n\n"))
    html = f'<!doctype html><html lang="{t.lang}"><body>{paragraphs}</body></html>'
    return Mail(to=user["email"], subject=t(f"mail_{purpose}_subject"), text=text, html=html)


def _button(url: str, label: str) -> str:
    link = escape(url, quote=True)
    return (f'<a href="{link}" style="display:inline-block;padding:10px 18px;background:#1f6f5c;'
            f'color:#ffffff;border-radius:6px;text-decoration:none">{escape(label)}</a>'
            f'<br><small>{escape(url)}</small>')


def send_link(settings: Settings, user: dict[str, Any], purpose: str, url: str) -> None:
    """E-mail a link (raises :class:`~sync.collector.notify.mail.MailError` when it cannot)."""
    send_mail(settings.smtp_url, settings.mail_from, link_mail(user, purpose, url))
