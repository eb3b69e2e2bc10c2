"""What the uploader needs from the kiosk's local store: the :class:`Outbox` protocol.

``kiosk.store.Store`` satisfies it; the uploader never imports ``kiosk``, so
``sync`` installs and runs without Kivy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Outbox(Protocol):
    """What the uploader needs from the kiosk's local store (``kiosk.store.Store``)."""

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """Unsynced, unrejected ratings in ``seq`` order, at most ``limit``."""

    def mark_synced(self, ids: Iterable[str]) -> int:
        """Record that the collector holds these ratings."""

    def mark_rejected(self, rejected: dict[str, str]) -> None:
        """Keep ratings the collector refused, with its reason, out of the queue."""

    def requeue(self, ranges: Iterable[tuple[int, int]]) -> int:
        """Put synced ratings in these seq ranges back in the queue; how many."""

    def stats(self) -> dict[str, Any]:
        """``pending``, ``oldest_pending_at``, ``rejected`` and ``last_seq``."""

    def get_state(self, key: str, default: Any = None) -> Any:
        """A small JSON value saved with :meth:`set_state`."""

    def set_state(self, key: str, value: Any) -> None:
        """Save a small JSON value."""
