"""The shopper's comment page: ``GET /c/{token}`` and ``POST /c/{token}``.

The link comes from the kiosk's QR code (:mod:`sync.commentlink`); no login,
no cookie but the form's double-submit CSRF token.  The page is one text box
in the shopper's language (``Accept-Language``, or ``?lang=``), made for a
phone.  A link works once: a second post gets the "already used" page (410);
an expired link 410; a forged, malformed or unknown one 404.  Posts are
limited per client address and per kiosk (:class:`~sync.collector.auth.FailureThrottle`
counting every post, in memory: no address is ever stored).  The text is
masked and flagged by :mod:`sync.collector.comments` before it is stored.
"""

from __future__ import annotations

import hmac
import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.clock import format_utc, utc_now
from sync.collector import comments
from sync.collector.auth import FailureThrottle, storage_of
from sync.collector.web.render import Page, page
from sync.collector.web.session import CSRF_COOKIE, same_origin

router = APIRouter(include_in_schema=False)

#: Status and catalog key of each way a link cannot take a comment.
PROBLEMS = {"unknown": (404, "comment_unknown"), "expired": (410, "comment_expired"),
            "used": (410, "comment_used")}


def throttles(request: Request) -> tuple[FailureThrottle, FailureThrottle]:
    """This process's post counters: per client address, per kiosk."""
    state = request.app.state
    if not hasattr(state, "comment_throttles"):
        state.comment_throttles = (FailureThrottle(comments.PER_ADDRESS, comments.WINDOW_S),
                                   FailureThrottle(comments.PER_KIOSK, comments.WINDOW_S))
    return state.comment_throttles


def problem_page(ctx: Page, problem: str) -> Response:
    """The page for a link that takes no comment, saying why and what to do."""
    status, key = PROBLEMS[problem]
    return ctx.render("comment.html", status=status, title=ctx.t(key + "_title"),
                      state="problem", message=ctx.t(key), text="", error=None)


def form_page(ctx: Page, text: str = "", error: str | None = None,
              status: int = 200) -> Response:
    """The text box (again, keeping what was typed, with ``error`` above it)."""
    return ctx.render("comment.html", status=status, title=ctx.t("comment_title"), state="form",
                      message="", text=text, error=error, max_chars=comments.MAX_CHARS,
                      limit_text=ctx.t("comment_limit", n=ctx.t.number(comments.MAX_CHARS)))


def throttled(ctx: Page, wait: float) -> Response:
    """429 with Retry-After, in words too."""
    minutes = max(1, math.ceil(wait / 60))
    response = ctx.render("comment.html", status=429, title=ctx.t("comment_title"),
                          state="problem", message=ctx.t("comment_throttled", minutes=minutes),
                          text="", error=None)
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


@router.get("/c/{token}")
def comment_form(request: Request, token: str) -> Response:
    """The comment page of a link, or why the link takes no comment."""
    ctx = page(request)
    checked = comments.check_link(storage_of(request), token)
    if checked.problem:
        return problem_page(ctx, checked.problem)
    return form_page(ctx)


@router.post("/c/{token}")
def post_comment(request: Request, token: str, text: str = Form(""),
                 csrf: str = Form("")) -> Response:
    """Store the comment (masked, flagged) once for the link's rating; thank the shopper."""
    ctx = page(request)
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not hmac.compare_digest(cookie, csrf) or not same_origin(request):
        return ctx.render("comment.html", status=403, title=ctx.t("forbidden_title"),
                          state="problem", message=ctx.t("csrf_failed"), text="", error=None)
    by_address, by_kiosk = throttles(request)
    client = request.client.host if request.client else "unknown"
    wait = by_address.retry_after(client)
    if wait > 0:
        return throttled(ctx, wait)
    by_address.failed(client)  # every post counts, good or bad
    storage = storage_of(request)
    checked = comments.check_link(storage, token)
    if checked.problem or checked.link is None or checked.store_id is None:
        return problem_page(ctx, checked.problem or "unknown")
    body = comments.clean(text)
    if not body:
        return form_page(ctx, text, ctx.t("comment_empty"), 422)
    if len(body) > comments.MAX_CHARS:
        too_long = ctx.t("comment_too_long", n=ctx.t.number(comments.MAX_CHARS))
        return form_page(ctx, text, too_long, 422)
    wait = by_kiosk.retry_after(checked.link.kiosk_id)
    if wait > 0:
        return throttled(ctx, wait)
    stored = storage.add_comment({
        "kiosk_id": checked.link.kiosk_id, "rating_id": checked.link.rating_id,
        "store_id": checked.store_id, "body": body, "lang": ctx.t.lang,
        "flagged": comments.flagged(body), "created_at": format_utc(utc_now()),
    })
    if not stored:  # a second post raced the first
        return problem_page(ctx, "used")
    by_kiosk.failed(checked.link.kiosk_id)
    return ctx.render("comment.html", title=ctx.t("comment_thanks_title"), state="sent",
                      message=ctx.t("comment_thanks"), text="", error=None)
