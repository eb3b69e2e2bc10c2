"""Where a kiosk stood, and so which store a rating it made is filed under.

A kiosk's stays come from ``kiosk_moves`` (the store it left, ``until`` when)
plus its current store.  The collector's record decides, not the rating's own
``store_id``: taps a kiosk held when it was moved belong to the store they
were made in, and taps made after the move belong to the new store even while
the kiosk's config (or a re-send that rewrote the id) still names another one
of its stores.  A store the kiosk never stood in is refused as before.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class Stays:
    """A kiosk's stores in order: ``stores[i]`` until ``untils[i]``, the last one from then on.

    Instants are canonical UTC text (``format_utc``), so they compare as text.
    """

    stores: tuple[str, ...]
    untils: tuple[str, ...] = ()

    def at(self, created_at: str) -> str:
        """The store the kiosk stood in at ``created_at`` (a move's own instant: the new one)."""
        return self.stores[bisect_right(self.untils, created_at)]

    def filed_under(self, named: str | None, created_at: str) -> str | None:
        """The store a rating naming ``named`` is filed under; None when the kiosk never stood
        there (``None`` names the current store)."""
        if named is not None and named not in self.stores:
            return None
        return self.at(created_at)
