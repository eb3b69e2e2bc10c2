"""Which database a read route reads: the replica (``read_database``) while it keeps up.

Dashboard pages, downloads, the read API's figures and the exports ask
:func:`reads_of` for their :class:`~sync.collector.db.storage.Storage`; every
other route (writes, token and session lookups, what an admin just changed)
keeps :func:`~sync.collector.auth.storage_of`, the primary.  With no replica
configured both are the same object and nothing else changes.

A request that read through :func:`reads_of` says how fresh its data is:
:class:`FreshnessHeaders` adds ``X-Hymy-Read-From``, ``X-Hymy-Data-As-Of`` and
``X-Hymy-Replica-Lag`` to its answer, and a page prints the same in its footer
(:func:`sync.collector.web.render.freshness_text`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import MutableHeaders

from sync.collector.asgi import HttpMiddleware
from sync.collector.db.replica import Freshness, Replica
from sync.collector.db.storage import Storage


def reads_of(request: Request) -> Storage:
    """The storage this request's figures come from; remembers where, for the answer.

    Blocking (it may measure the replica's lag): call it from a worker thread.
    """
    replica: Replica | None = request.app.state.replica
    if replica is None:
        return request.app.state.storage
    freshness = replica.freshness()
    request.state.freshness = freshness
    return request.app.state.reader if freshness.replica else request.app.state.storage


def freshness_of(request: Request) -> Freshness | None:
    """How fresh this request's reads were; None when it read no figures or no replica is set."""
    return getattr(request.state, "freshness", None)


class FreshnessHeaders(HttpMiddleware):
    """ASGI middleware: the freshness headers on an answer whose route used :func:`reads_of`."""

    async def http(self, scope: dict, receive: Any, send: Any) -> None:
        state = scope.setdefault("state", {})  # Request.state is this dict

        async def add_headers(message: dict) -> None:
            freshness = state.get("freshness")
            if message["type"] == "http.response.start" and freshness is not None:
                headers = MutableHeaders(scope=message)
                for name, value in freshness.headers().items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, add_headers)
