"""Single sign-on with an OpenID Connect provider (Authlib's Starlette client).

Configured by ``oidc_issuer``, ``oidc_client_id`` and ``oidc_client_secret``
(``HYMY_OIDC_*``); off when the issuer is empty.  Then the login page shows
"Sign in with <provider>":

- ``GET /login/oidc``: to the provider's authorization page (code flow; Authlib
  adds state and nonce, kept in a short-lived signed ``hymy_oidc`` cookie,
  which every worker can read: its key comes from the client secret);
- ``GET /login/oidc/callback``: Authlib checks the state, trades the code and
  verifies the ID token; the person is the enabled account whose e-mail is the
  token's ``email`` *with* ``email_verified`` true.  Nobody else gets in and no
  account is ever created here: an unknown or disabled address, or an
  unverified one, gets the login page saying so.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from sync.collector import people
from sync.collector.auth import storage_of
from sync.collector.notify.links import base_url
from sync.collector.settings import Settings
from sync.collector.web.access import PageDenied
from sync.collector.web.render import page, start_session

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "hymy_oidc"
STATE_MAX_AGE_S = 600


def enable(app: FastAPI, settings: Settings) -> None:
    """Register the provider and the state cookie's middleware when SSO is configured."""
    if not settings.oidc_issuer:
        return
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        "hymy", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/")
        + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    app.state.oidc = oauth.create_client("hymy")
    key = hmac.new(settings.oidc_client_secret.encode(), b"hymy-oidc-state",
                   hashlib.sha256).hexdigest()
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie=STATE_COOKIE,
                       max_age=STATE_MAX_AGE_S, same_site="lax",
                       https_only=base_url(settings).startswith("https://"))


def _client(request: Request) -> Any:
    found = getattr(request.app.state, "oidc", None)
    if found is None:
        raise PageDenied(page(request), 404)
    return found


@router.get("/login/oidc")
async def oidc_start(request: Request) -> Response:
    """Off to the provider's sign-in page; it sends the browser back to the callback."""
    client = _client(request)
    settings = request.app.state.settings
    back = base_url(settings, str(request.base_url)) + "/login/oidc/callback"
    return await client.authorize_redirect(request, back)


@router.get("/login/oidc/callback")
async def oidc_callback(request: Request) -> Response:
    """Sign in the enabled account of the provider's verified e-mail, or say why not."""
    from authlib.integrations.starlette_client import OAuthError

    client = _client(request)
    ctx = page(request)
    name = request.app.state.settings.oidc_name()
    try:
        token = await client.authorize_access_token(request)
    except OAuthError:
        return _refused(ctx, 401, ctx.t("oidc_failed", provider=name))
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "")
    if not email or claims.get("email_verified") is not True:
        return _refused(ctx, 403, ctx.t("oidc_unverified", provider=name))
    user = await run_in_threadpool(storage_of(request).user, email)
    if user is None or user["disabled_at"]:
        return _refused(ctx, 403, ctx.t("oidc_no_account", email=email))
    return await run_in_threadpool(start_session, ctx, people.principal_of(user))


def _refused(ctx: Any, status: int, message: str) -> Response:
    return ctx.render("login.html", status=status, title=ctx.t("login_title"), next="/",
                      notice=("error", message))
