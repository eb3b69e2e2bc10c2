"""Call an ASGI app in this process: one HTTP request, its answer.

For tests that must reach route code in the test's own process (mutation
testing only counts those, docs/reliability.md) without a server, a port or
an HTTP client library: :func:`call` hands the app a request whose body
arrives in the given chunks, runs it on a fresh event loop, and collects
what the app sends back.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Answer:
    """What the app sent: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(app: Any, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | list[bytes] = b"", complete: bool = True) -> Answer:
    """Send one request to ``app``; ``body`` may be a list of chunks, sent one by one,
    and is never finished unless ``complete`` (a client that stopped sending)."""
    return run(call_async(app, method, path, headers, body, complete))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own, so a loop another test left in this
    thread (Playwright's, a pool's) cannot make it fail."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def call_async(app: Any, method: str, path: str, headers: dict[str, str] | None = None,
                     body: bytes | list[bytes] = b"", complete: bool = True) -> Answer:
    """:func:`call` on the running event loop."""
    chunks = [body] if isinstance(body, bytes) else list(body)
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "",
        "headers": [(name.lower().encode(), value.encode("latin-1"))
                    for name, value in (headers or {}).items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk,
                    "more_body": bool(chunks) or not complete}
        await asyncio.Event().wait()  # the client waits for the answer, or stopped sending
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    return Answer(
        start["status"],
        {name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]},
        b"".join(message.get("body", b"") for message in sent
                 if message["type"] == "http.response.body"),
    )


def session_cookie(app: Any, token: str) -> dict[str, str]:
    """A ``Cookie`` header for a dashboard session of ``token``'s holder, made the way the
    login form makes one, so a page can be asked for in-process."""
    principal = app.state.storage.principal(token)
    return _session(app, principal.token_id, principal.user_id)


def person_cookie(app: Any, email: str) -> dict[str, str]:
    """A ``Cookie`` header for a dashboard session of the person with ``email``, made the
    way signing in makes one (their access is read again at every request)."""
    return _session(app, None, app.state.storage.user(email)["id"])


def _session(app: Any, token_id: int | None, user_id: int | None) -> dict[str, str]:
    import secrets
    from datetime import timedelta

    from sync.clock import format_utc, utc_now
    from sync.collector.tokens import hash_token
    from sync.collector.web.session import SESSION_COOKIE

    raw = secrets.token_urlsafe(32)
    app.state.storage.add_session(hash_token(raw), token_id,
                                  format_utc(utc_now() + timedelta(hours=1)), user_id)
    return {"Cookie": f"{SESSION_COOKIE}={raw}"}


def page_text(app: Any, token: str, path: str) -> str:
    """The dashboard page at ``path`` as ``token``'s holder sees it (HTML entities read),
    after checking it answered 200."""
    answer = call(app, "GET", path, session_cookie(app, token))
    assert answer.status == 200, answer.body[:400]
    return html.unescape(answer.body.decode())


def section_words(text: str, section_id: str) -> str:
    """The words of a page's ``<section id=section_id>``, tags left out: what a reader
    of that card reads."""
    start = text.index(f'id="{section_id}"')
    inner = text[start:text.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", inner.split(">", 1)[1]).split())
