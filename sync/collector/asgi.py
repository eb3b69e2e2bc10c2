"""The collector's own ASGI middleware share one shape: HTTP requests only."""

from __future__ import annotations

from typing import Any


class HttpMiddleware:
    """An ASGI middleware that acts on HTTP requests; lifespan and other scopes pass
    straight through.  Subclasses implement :meth:`http`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: dict, receive: Any, send: Any) -> None:
        raise NotImplementedError
