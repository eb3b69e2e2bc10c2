"""The admin's users page: people's accounts, invitations, roles and stores.

- ``GET /admin/users``: every account (e-mail, name, role, stores, regions,
  state) and a form to invite a person;
- ``POST /admin/users``: adds the account and e-mails the invitation (or,
  without ``smtp_url``, shows the link to hand over, once);
- ``GET /admin/users/{id}``: one account: change role, stores and regions, disable or
  enable;
- ``POST /admin/users/{id}/access``, ``/disable``, ``/enable``: those changes.

Admins only; every POST carries the session's CSRF token.  A bad e-mail, a
taken address or a staff user without a store gets the page again with the
error and the form as it was typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.collector.auth import storage_of
from sync.collector.db.storage import NotFound
from sync.collector.notify.links import link_url, send_link
from sync.collector.notify.mail import MailError
from sync.collector.people import USER_LANGUAGES, USER_ROLES
from sync.collector.web.access import PageDenied, admin_page
from sync.collector.web.render import Page, csrf_refused, redirect
from sync.collector.web.session import signed_form

router = APIRouter(include_in_schema=False)
HOME = "/admin/users"


def _state(user: dict[str, Any]) -> str:
    if user["disabled_at"]:
        return "disabled"
    return "active" if user.get("has_password", user.get("password_hash")) else "invited"


def render_users(request: Request, ctx: Page, status: int = 200,
                 notice: tuple[str, str] | None = None, typed: dict[str, Any] | None = None,
                 link: str | None = None) -> Response:
    """The users page; ``typed`` refills the invite form after an error."""
    storage = storage_of(request)
    users = [{**user, "state": _state(user)} for user in storage.users()]
    return ctx.render("users.html", status=status, title=ctx.t("users_title"), active="users",
                      users=users, stores=storage.stores(), regions=storage.regions(),
                      roles=USER_ROLES, languages_mail=USER_LANGUAGES, notice=notice, link=link,
                      typed=typed or {"email": "", "name": "", "role": "staff", "stores": (),
                                      "regions": (), "language": ""})


@router.get(HOME)
def users_page(request: Request, ctx: Page = Depends(admin_page)) -> Response:
    """Every account and the invite form (admins)."""
    return render_users(request, ctx)


@router.post(HOME)
def invite(request: Request, email: str = Form(""), name: str = Form(""),
           role: str = Form("staff"), stores: list[str] = Form([]),
           regions: list[str] = Form([]), language: str = Form(""),
           csrf: str = Form(""), ctx: Page = Depends(admin_page)) -> Response:
    """Add an account and send its invitation (or show the link when there is no mail);
    the account's stores and regions are what the invitation signs them in to."""
    if not signed_form(request, csrf):
        return csrf_refused(ctx, HOME)
    storage = storage_of(request)
    typed = {"email": email, "name": name, "role": role, "stores": tuple(stores),
             "regions": tuple(regions), "language": language}
    try:
        made = storage.add_user(email, role, stores if role == "staff" else (), name,
                                language or None, regions)
    except (ValueError, LookupError) as error:
        message = error.args[0] if error.args else str(error)
        return render_users(request, ctx, 422, ("error", str(message)), typed)
    settings = request.app.state.settings
    secret, _ = storage.issue_link(made["email"], "invite")
    url = link_url(settings, "invite", secret, str(request.base_url), made.get("language"))
    if settings.smtp_url:
        try:
            send_link(settings, made, "invite", url)
            return render_users(request, ctx, 201,
                                ("info", ctx.t("user_added_mail", email=made["email"])))
        except MailError:
            pass
    return render_users(request, ctx, 201,
                        ("info", ctx.t("user_added_link", email=made["email"])), link=url)


def _user(request: Request, ctx: Page, user_id: int) -> dict[str, Any]:
    found = storage_of(request).user_with_id(user_id)
    if found is None:
        raise PageDenied(ctx, 404)
    return found


@router.get(HOME + "/{user_id}")
def user_page(request: Request, user_id: int, ctx: Page = Depends(admin_page)) -> Response:
    """One account: role and stores, disable or enable."""
    return render_user(request, ctx, _user(request, ctx, user_id))


def render_user(request: Request, ctx: Page, user: dict[str, Any], status: int = 200,
                notice: tuple[str, str] | None = None) -> Response:
    """The page of one account."""
    return ctx.render("user.html", status=status, title=user["email"], active="users",
                      person={**user, "state": _state(user)}, roles=USER_ROLES,
                      stores=storage_of(request).stores(), regions=storage_of(request).regions(),
                      notice=notice)


@router.post(HOME + "/{user_id}/access")
def change_access(request: Request, user_id: int, role: str = Form(""),
                  stores: list[str] = Form([]), regions: list[str] = Form([]),
                  csrf: str = Form(""), ctx: Page = Depends(admin_page)) -> Response:
    """Give an account another role, stores and regions."""
    if not signed_form(request, csrf):
        return csrf_refused(ctx, f"{HOME}/{user_id}")
    user = _user(request, ctx, user_id)
    try:
        changed = storage_of(request).set_user_access(
            user["email"], role, stores if role == "staff" else (), regions)
    except (ValueError, NotFound) as error:
        message = error.args[0] if error.args else str(error)
        return render_user(request, ctx, user, 422, ("error", str(message)))
    return render_user(request, ctx, changed, 200,
                       ("info", ctx.t("user_changed", email=changed["email"])))


@router.post(HOME + "/{user_id}/{change}")
def disable_or_enable(request: Request, user_id: int, change: str, csrf: str = Form(""),
                      ctx: Page = Depends(admin_page)) -> Response:
    """Disable an account (its sessions end now) or enable it again."""
    if change not in ("disable", "enable"):
        raise PageDenied(ctx, 404)
    if not signed_form(request, csrf):
        return csrf_refused(ctx, f"{HOME}/{user_id}")
    user = _user(request, ctx, user_id)
    storage_of(request).set_user_disabled(user["email"], disabled=change == "disable")
    if ctx.user is not None and ctx.user.user_id == user_id and change == "disable":
        return redirect("/login")
    return redirect(f"{HOME}/{user_id}")


