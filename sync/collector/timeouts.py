"""A deadline for request headers, which uvicorn does not have.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``
seconds (5), but any byte received cancels that timer and a new connection
has none: a client trickling its headers one byte at a time holds a
connection (and a file descriptor) for ever.  :class:`HeaderDeadline` is
uvicorn's own HTTP protocol (httptools when installed, else h11) with one
timer more: from the moment a connection opens or finishes an answer, the
next request's headers must be complete within ``header_timeout_s``
seconds, or the connection is closed.  Bodies have their own deadline in
the upload route (``body_timeout_s``, answered 408), where the app knows
which requests read a body.

It also tells long answers when the server starts to shut down
(:func:`closing`): uvicorn waits for every answer in progress to finish, and
an open event stream (``api/stream.py``) would never finish on its own.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from sync.collector.settings import Settings

_closing = False


def closing() -> bool:
    """True once this server process has begun a graceful shutdown."""
    return _closing


@cache
def header_timeout_s() -> float:
    """The deadline, from the ``HYMY_*`` settings the server process was started with."""
    return Settings.from_env().header_timeout_s


class HeaderDeadline(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol, closing connections whose headers come too slowly."""

    header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown of this connection; long answers now end themselves."""
        global _closing
        _closing = True
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        """(Re)start the clock for the next request's headers."""
        if self.header_deadline is not None:
            self.header_deadline.cancel()
        self.header_deadline = self.loop.call_later(header_timeout_s(), self._headers_late)

    def _headers_late(self) -> None:
        """Close the connection unless a request's headers arrived since the clock started.

        Both uvicorn protocols make a new ``cycle`` when a request's headers
        are complete, and mark it ``response_complete`` when it is answered.
        """
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            self.transport.close()
