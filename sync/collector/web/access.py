"""Who may see which page: FastAPI dependencies, in the style of :mod:`sync.collector.auth`.

A page route asks for what it needs and gets it, or the dependency raises
:class:`Refused`, which :func:`refused` (registered by
:func:`sync.collector.app.mount_pages`) turns into the answer a browser
expects:

- no session: :class:`LoginRequired`, a 303 to ``/login?next=<this page>``;
- a session whose role may not see the page, or a store or day that does not
  exist: :class:`PageDenied`, the 403 or 404 page in the user's language.

The API answers the same situations with JSON 401/403/404 through
:mod:`sync.collector.auth`; a browser has a cookie, not a bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.tokens import CHAIN_READERS
from sync.collector.web.render import Page, error_page, login_redirect, page
from sync.collector.web.session import current_user


class Refused(Exception):
    """A page the visitor may not see; :meth:`answer` says what they get instead."""

    def answer(self, request: Request) -> Response:
        raise NotImplementedError


class LoginRequired(Refused):
    """No session: go and log in, then come back here."""

    def answer(self, request: Request) -> Response:
        return login_redirect(request)


class PageDenied(Refused):
    """A 403 (not yours to see) or 404 (no such store or day) page for a signed-in user."""

    def __init__(self, ctx: Page, status: int) -> None:
        super().__init__(status)
        self.ctx = ctx
        self.status = status

    def answer(self, request: Request) -> Response:
        return error_page(self.ctx, self.status)


def refused(request: Request, error: Exception) -> Response:
    """The exception handler for :class:`Refused` (sync: Starlette runs it in a thread)."""
    assert isinstance(error, Refused)
    return error.answer(request)


def signed_in(request: Request) -> Page:
    """The page context of a signed-in staff, office or admin user."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return page(request, user)


@dataclass
class StorePage:
    """A store page's context and the store it shows."""

    ctx: Page
    store: dict[str, Any]


def store_reader(store_id: str, request: Request, ctx: Page = Depends(signed_in)) -> StorePage:
    """The store in the path, if this user may read it (403) and it exists (404)."""
    assert ctx.user is not None
    if not ctx.user.can_read(store_id):
        raise PageDenied(ctx, 403)
    store = storage_of(request).store(store_id)
    if store is None:
        raise PageDenied(ctx, 404)
    return StorePage(ctx, store)


def chain_reader_page(ctx: Page = Depends(signed_in)) -> Page:
    """Office and admin users: the chain's pages and downloads (403 for staff)."""
    assert ctx.user is not None
    if ctx.user.role not in CHAIN_READERS or not ctx.user.chain_wide:
        raise PageDenied(ctx, 403)
    return ctx


def office_reader_page(ctx: Page = Depends(signed_in)) -> Page:
    """Office and admin users: the office, ranking, funnel and alert-log pages, which an
    office user scoped to regions sees narrowed to their stores (403 for staff)."""
    assert ctx.user is not None
    if not ctx.user.office_pages:
        raise PageDenied(ctx, 403)
    return ctx


def admin_page(ctx: Page = Depends(signed_in)) -> Page:
    """Admins only (403 page for staff and office)."""
    assert ctx.user is not None
    if ctx.user.role != "admin":
        raise PageDenied(ctx, 403)
    return ctx
