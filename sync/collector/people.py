"""People: personal accounts' rules, decided in one place (the SQL is in ``db/users.py``).

- An e-mail address is the account's name, stored lower-cased so that
  ``Anna@Example.com`` and ``anna@example.com`` are one account.
- Passwords are hashed with Argon2id (argon2-cffi's defaults, tuned by its
  authors for interactive logins): slow on purpose, unlike the 192-bit tokens
  of :mod:`sync.collector.tokens`, because people choose guessable passwords.
- Sign-in and invitation links carry 256 random bits; only their SHA-256 hash
  is stored, like a token's.  A sign-in link works once within
  :data:`SIGNIN_TTL`; an invitation (set a password) within :data:`INVITE_TTL`.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.collector.tokens import REGION_ROLES, Principal

#: Roles a person can have (kiosks are machines: they keep tokens).
USER_ROLES = ("staff", "office", "admin")
#: Languages a person's mail can be written in.
USER_LANGUAGES = ("fi", "sv", "en", "de")
SIGNIN_TTL = timedelta(minutes=15)
INVITE_TTL = timedelta(days=7)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_hasher = PasswordHasher()


def normal_email(text: str) -> str:
    """An e-mail address in its one stored form (trimmed, lower case); ValueError if it is none."""
    email = (text or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError(f"{text!r} is not an e-mail address (e.g. anna@example.com)")
    return email


def check_access(role: str, stores: list[str] | tuple[str, ...],
                 regions: list[str] | tuple[str, ...] = ()) -> None:
    """Raise ValueError unless ``role``, ``stores`` and ``regions`` fit together.

    Staff need a store or a region (or both); office users read every store, or
    only their regions' stores when they have regions; admins are never scoped:
    a region's person who could manage the chain would not be scoped at all.
    """
    if role not in USER_ROLES:
        raise ValueError(f"a person's role is one of {', '.join(USER_ROLES)}, not {role!r}")
    if role == "staff" and not (stores or regions):
        raise ValueError("a staff user needs at least one --store STORE_ID or --region REGION")
    if role != "staff" and stores:
        raise ValueError(f"an {role} user reads every store; leave out --store")
    if role not in REGION_ROLES and regions:
        raise ValueError(f"an {role} user reads every store; leave out --region"
                         " (only staff and office users can be scoped to a region)")


def check_language(language: str | None) -> str | None:
    """``language`` if it is one the mail can be written in (None: the default)."""
    if language in (None, ""):
        return None
    if language not in USER_LANGUAGES:
        raise ValueError(f"language is one of {', '.join(USER_LANGUAGES)}, not {language!r}")
    return language


def hash_password(password: str) -> str:
    """The Argon2id hash to store for a new password (ValueError when it is too short)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"a password has at most {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (False for no hash or a bad one)."""
    if not stored or not password or len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_link() -> str:
    """The secret part of a sign-in or invitation link: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def principal_of(user: dict[str, Any]) -> Principal:
    """The caller a signed-in person is: their role, for staff their stores, and the
    regions they are scoped to (whose stores :meth:`Storage._scoped` fills in)."""
    regions = tuple(user.get("regions", ()))
    return Principal(None, user["role"], user_id=user["id"], stores=tuple(user["stores"]),
                     email=user["email"], region_id=regions[0] if regions else None,
                     region_ids=regions)
