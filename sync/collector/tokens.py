"""Access tokens and roles: who may do what, decided in one place.

Tokens are 192 random bits shown once and stored only as a SHA-256 hash.  A
hash is enough for secrets this long: nobody can guess one, so a slow password
hash would only slow every request down.

Enrollment codes (:func:`new_code`) are the short, typeable counterpart: 8
characters from an alphabet without look-alikes, grouped ``K7QM-4TXD``, good
once and for hours only, and stored as a hash too.  About 36 bits would not stop a
patient guesser on their own; the one-time use, the expiry and the throttle on
``POST /api/v1/enroll`` do.

Roles, from least to most power:

- ``kiosk``: upload batches and fetch the survey, for its own store and kiosk only
  (both come from the token, never from the request body);
- ``staff``: read the numbers of one store, or of one region's stores;
- ``office``: read every store, the ranking and the exports; an office token
  scoped to a region reads that region's stores and figures only, and none of
  the chain-wide routes (ranking, exports, the office page);
- ``admin``: everything ``office`` can, plus managing stores, kiosks, tokens, surveys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

PREFIX = "hymy_"
ROLES = ("kiosk", "staff", "office", "admin")
#: Roles that may read every store's numbers and export them.
CHAIN_READERS = frozenset({"office", "admin"})
#: Roles that may read store numbers at all (staff only for their own store).
READERS = frozenset({"staff", "office", "admin"})
#: Roles whose tokens may be scoped to a region (tokens.region_id, migration 016).
REGION_ROLES = frozenset({"staff", "office"})


def new_token() -> str:
    """A fresh token, e.g. ``hymy_3q2...``: 192 bits from the OS's secure generator."""
    return PREFIX + secrets.token_urlsafe(24)


#: Enrollment code letters: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V to mistake for each other.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 8


def new_code() -> str:
    """A fresh one-time enrollment code, e.g. ``K7QM-4TXD``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normal_code(text: str) -> str:
    """A typed code in its one stored form: upper case, no spaces or dashes.

    ``k7qm 4txd`` and ``K7QM-4TXD`` are the same code; so a hash of this is
    what is stored and looked up.
    """
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def hash_code(text: str) -> str:
    """The hash under which an enrollment code is stored, whatever way it was typed."""
    return hash_token(normal_code(text))


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison of two token hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def check_role(role: str, store_id: str | None, kiosk_id: str | None,
               region_id: str | None = None) -> None:
    """Raise ValueError unless a token of ``role`` is scoped the way that role needs."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "kiosk" and not kiosk_id:
        raise ValueError("a kiosk token needs a kiosk: use 'hymy-collector kiosk add'")
    if region_id is not None and role not in REGION_ROLES:
        raise ValueError(f"only staff and office tokens can be scoped to a region, not {role}")
    if role == "staff" and not (store_id or region_id):
        raise ValueError("a staff token needs --store STORE_ID")
    if store_id and region_id:
        raise ValueError("a token reads one store or one region: give --store or --region")
    if role in CHAIN_READERS and (store_id or kiosk_id):
        raise ValueError(f"an {role} token covers every store; leave out --store")


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid token, or a signed-in person (``user_id``)."""

    token_id: int | None
    role: str
    store_id: str | None = None
    kiosk_id: str | None = None
    #: Why this kiosk may no longer upload (its kiosk or store is retired), or None.
    retired: str | None = None
    #: When this kiosk last moved to another store (UTC text), or None if it never did:
    #: only ratings made before then need its store history (:mod:`sync.collector.db.stays`).
    moved_at: str | None = None
    #: The person behind a dashboard session (None for a token).
    user_id: int | None = None
    #: A staff person's stores (a person may work in several; a token has one ``store_id``).
    stores: tuple[str, ...] = ()
    email: str | None = None
    #: The region a staff or office token is scoped to, or None.
    region_id: str | None = None
    #: With ``region_id``: the stores and the regions (itself and below) it may read.
    region_stores: frozenset[str] = field(default_factory=frozenset)
    regions: frozenset[str] = field(default_factory=frozenset)
    #: A person's regions (migration 019), ``region_id`` the first; a token has one.
    region_ids: tuple[str, ...] = ()

    @property
    def scope_regions(self) -> tuple[str, ...]:
        """Every region this caller is scoped to (empty: not scoped)."""
        if self.region_ids:
            return self.region_ids
        return (self.region_id,) if self.region_id is not None else ()

    @property
    def store_ids(self) -> tuple[str, ...]:
        """The stores a staff caller reads: a person's stores, or a staff token's one store."""
        if self.stores:
            return self.stores
        return (self.store_id,) if self.store_id else ()

    @property
    def chain_wide(self) -> bool:
        """True for office and admin callers not scoped to a region: the chain's routes."""
        return self.role in CHAIN_READERS and self.region_id is None

    @property
    def office_pages(self) -> bool:
        """True for office and admin callers: the dashboard's office pages, which show a
        caller scoped to regions only their stores (:class:`sync.collector.regions.OfficeScope`)."""
        return self.role in CHAIN_READERS

    def can_read(self, store_id: str) -> bool:
        """True when this caller may read ``store_id``'s numbers."""
        if self.region_id is not None:
            return self.role in READERS and store_id in self.region_stores
        if self.role in CHAIN_READERS:
            return True
        return self.role == "staff" and store_id in self.store_ids

    def can_read_region(self, region_id: str) -> bool:
        """True when this caller may read a region's figures (its own and those below)."""
        if self.region_id is not None:
            return region_id in self.regions
        return self.role in CHAIN_READERS
