"""Helpers for the uploader's tests: a real kiosk store, a real collector in this
process, and the fault proxy between them.

:func:`proxied_kiosk` registers a fresh kiosk on an in-process collector
(``tests.support.inprocess.collector_fixture``), opens the kiosk's store
and puts a :class:`FaultProxy` in front of the collector.  :func:`kiosk_store`
opens a ``kiosk.store.Store`` in a folder; :func:`register` adds a store and
kiosk to an in-process collector and returns the kiosk's token; :func:`held`
reads what the collector stored for a kiosk, so a test measures lost and
doubled ratings rather than trusting the uploader's counts.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from kiosk.store import Store
from tests.support.faultproxy import FaultProxy
from tests.support.inprocess import InProcess

ZONE = "Europe/Helsinki"


def kiosk_store(folder: Path, store_id: str = "s1", kiosk_id: str = "k1") -> Store:
    """The kiosk's own database, ``folder/kiosk.db``."""
    return Store(folder / "kiosk.db", store_id, kiosk_id, ZONE)


def tap(store: Store, n: int) -> list[str]:
    """Record ``n`` counted taps (scores 1..5 in turn); their ids in seq order."""
    return [store.record_tap(1 + i % 5, 5, "fi", interval=0).id for i in range(n)]


def register(running: InProcess, store_id: str, kiosk_id: str) -> str:
    """Add ``store_id`` (if new) and kiosk ``kiosk_id`` to the collector; the kiosk's token."""
    storage = running.storage
    if storage.store(store_id) is None:
        storage.add_store(store_id, store_id.upper(), ZONE)
    return storage.add_kiosk(kiosk_id, store_id).token


def held(running: InProcess, kiosk_id: str) -> list[dict[str, Any]]:
    """The ratings the collector holds from ``kiosk_id``, in seq order."""
    return running.storage.db.query(
        "SELECT id, seq, score FROM ratings WHERE kiosk_id = ? ORDER BY seq", (kiosk_id,))


def lost_and_doubled(sent_ids: list[str], stored: list[dict[str, Any]]) -> tuple[int, int]:
    """Ratings of ``sent_ids`` the collector lacks, and ratings it holds more than once
    (rows beyond one per kiosk seq: a tap stored twice under two ids counts too)."""
    ids = {row["id"] for row in stored}
    lost = sum(1 for rating_id in sent_ids if rating_id not in ids)
    doubled = len(stored) - len({row["seq"] for row in stored})
    return lost, doubled


def batch_body(raw: bytes) -> dict[str, Any]:
    """A batch as the uploader sent it (gzip or plain JSON)."""
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


class ProxiedKiosk(NamedTuple):
    """A kiosk of store s1 on an in-process collector, reached through a fault proxy."""

    kiosk_id: str
    token: str
    store: Store
    proxy: FaultProxy
    folder: Path


@contextmanager
def proxied_kiosk(running: InProcess, folder: Path, kiosk_id: str) -> Iterator[ProxiedKiosk]:
    """Register ``kiosk_id`` in store s1 of ``running``, open its store in ``folder`` and
    start a :class:`FaultProxy` to the collector; the proxy stops and the store closes after."""
    token = register(running, "s1", kiosk_id)
    store = kiosk_store(folder, "s1", kiosk_id)
    try:
        with FaultProxy(running.port) as proxy:
            yield ProxiedKiosk(kiosk_id, token, store, proxy, folder)
    finally:
        store.close()
