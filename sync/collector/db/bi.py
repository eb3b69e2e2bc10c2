"""BI access: the views migration 008 creates (017 redefines them per question kind),
and a read-only PostgreSQL role for them.

The views (``migrations/<backend>/008_bi_views.sql``) answer the office's
common questions in plain SQL, from the roll-up tables, so Metabase, Grafana
or Power BI need no code of ours (docs/export.md, "BI views").  A BI tool
should not log in as the collector: :func:`grant_read_only` makes (or
refreshes) a PostgreSQL login that may SELECT the views - and the ratings, if
asked - and nothing else.  The views run with their owner's rights, so the
role needs no right on the tables behind them, and tokens, sessions and
enrollment codes stay out of its reach.

SQLite has no roles: a BI tool opens the file read-only instead
(``file:PATH?mode=ro``), which this module's error says.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sync.collector.db.connection import Database, DatabaseError

#: The views of migration 008, in the order docs/export.md describes them.
#: Per-region and per-touchpoint views (issue #16) will join this list.
BI_VIEWS = (
    "bi_store_daily",
    "bi_kiosk_daily",
    "bi_store_reasons_daily",
    "bi_store_hourly",
    "bi_chain_daily",
    "bi_faces",
)
#: A role name that needs no quoting anywhere (psql, connection strings, BI tools).
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SQLITE_READ_ONLY = (
    "bi-role makes a PostgreSQL role; SQLite has none: give the BI tool the file"
    " opened read-only, file:/var/lib/hymy/hymy-collector.db?mode=ro (docs/export.md)"
)


@dataclass(frozen=True)
class ReadOnlyRole:
    """What :func:`grant_read_only` did: the role, its password when new, what it may read."""

    name: str
    password: str | None  # set only when the role was created now (shown once)
    readable: tuple[str, ...]
    url: str  # how to connect, without the password


def grant_read_only(db: Database, name: str, ratings: bool = False) -> ReadOnlyRole:
    """Create login role ``name`` (or refresh an existing one's rights) reading the BI views.

    Run again after an upgrade that adds views, or with ``ratings`` changed:
    the role ends up with SELECT on exactly :data:`BI_VIEWS` (plus ``ratings``
    when asked), and every session of it is read-only.  An existing role keeps
    its password.  The collector's own role and superusers are refused: their
    rights would not shrink.
    """
    if db.backend != "postgresql":
        raise DatabaseError(SQLITE_READ_ONLY)
    if not ROLE_NAME.fullmatch(name):
        raise ValueError(f"role name {name!r}: use lower-case letters, digits and _"
                         " (a letter or _ first), e.g. hymy_bi")
    readable = BI_VIEWS + (("ratings",) if ratings else ())
    with db.transaction(serialize=True) as conn:
        found = conn.query_one(
            "SELECT rolsuper, rolname = current_user AS own, current_database() AS db,"
            " current_schema() AS schema FROM pg_roles WHERE rolname = ?", (name,))
        here = found or conn.query_one(
            "SELECT current_database() AS db, current_schema() AS schema")
        if found and (found["own"] or found["rolsuper"]):
            raise ValueError(f"role {name!r} is the collector's own or a superuser;"
                             " name a new role for the BI tool, e.g. hymy_bi")
        password = None if found else secrets.token_urlsafe(24)
        for statement in _grants(name, here["db"], here["schema"], readable, password):
            conn.execute(statement)
    return ReadOnlyRole(name, password, readable, _url_as(db.url, name))


def _grants(name: str, database: str, schema: str, readable: tuple[str, ...],
            password: str | None) -> list[str]:
    """The statements making ``name`` a read-only reader of ``readable`` (new: a password)."""
    role, quoted = _identifier(name), _identifier
    statements = []
    if password is not None:
        statements.append(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"
                          " NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    statements += [
        f"ALTER ROLE {role} SET default_transaction_read_only = on",
        f"GRANT CONNECT ON DATABASE {quoted(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {quoted(schema)} TO {role}",
        f"GRANT SELECT ON {', '.join(readable)} TO {role}",
    ]
    if "ratings" not in readable:
        statements.append(f"REVOKE ALL ON ratings FROM {role}")
    return statements


def _identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _url_as(url: str, role: str) -> str:
    """The database URL with ``role`` as its user and no password (libpq keyword strings:
    only the role's name)."""
    if "://" not in url:
        return f"user={role}"
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{role}@{host}{parts.path}"
