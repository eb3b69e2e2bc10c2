"""Collector settings, declared once as data.

Each field of :class:`Settings` carries its help text, so the CLI options, the
``HYMY_*`` environment variables, validation and ``docs/collector.md`` all come
from this one list (``tests/collector/test_collector_docs.py`` checks the docs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

from sync.metrics import MIN_RESPONSES

ENV_PREFIX = "HYMY_"


def setting(default: Any, help: str) -> Any:
    """Declare one setting: its default and a sentence for ``--help`` and the docs."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything the collector can be told at start-up."""

    database: str = setting(
        "hymy-collector.db",
        "SQLite file path, sqlite:///PATH, or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB",
    )
    host: str = setting("127.0.0.1", "Interface to listen on (0.0.0.0 for every interface)")
    port: int = setting(8080, "TCP port to listen on")
    workers: int = setting(
        1, "Server processes; SQLite serialises writes, so 1-4 is plenty (PostgreSQL: 1 per core)"
    )
    clock_tolerance_s: float = setting(
        300.0,
        "A kiosk clock further off than this marks the batch's ratings clock_suspect",
    )
    min_responses: int = setting(
        MIN_RESPONSES, "Fewest responses a store needs in a period to get a rank in /api/v1/ranking"
    )
    max_ingest_requests: int = setting(
        64,
        "Batch uploads stored at once per process (counted once a body is read) before"
        " answering 429 + Retry-After",
    )
    max_uploads_per_kiosk: int = setting(
        2, "Uploads one kiosk may have open at once (reading or storing) before 429 + Retry-After"
    )
    body_timeout_s: float = setting(
        30.0, "Seconds a client has to send a whole upload body before 408 and a closed connection"
    )
    header_timeout_s: float = setting(
        10.0, "Seconds a client has to send a request's headers before its connection is closed"
    )
    log_level: str = setting("info", "Log level: debug, info, warning or error")
    auth_failures_per_minute: int = setting(
        30, "Unknown or revoked tokens one client address may send per minute before 429"
    )
    cors_origins: str = setting(
        "", "Comma-separated browser origins allowed to call the API (CORS); empty: none"
    )
    pool_size: int = setting(
        10,
        "Most PostgreSQL connections one server process opens; keep workers x hosts x this"
        " below the server's max_connections",
    )
    alert_silent_hours: float = setting(
        2.0, "Office alert: a kiosk silent this many opening hours of its store"
    )
    alert_burst_share: float = setting(
        0.5, "Office alert: share of unhappy faces (0-1) within 15 minutes that is a burst"
    )
    alert_burst_min_responses: int = setting(
        4, "Office alert: fewest responses within 15 minutes for an unhappy burst"
    )
    smtp_url: str = setting(
        "",
        "Mail server for alerts, digests and sign-in links: smtp://HOST[:PORT],"
        " smtp+starttls://USER:PASSWORD@HOST[:587] or smtps://USER:PASSWORD@HOST[:465];"
        " empty: no e-mail",
    )
    mail_from: str = setting(
        "hymy@localhost", "Sender address of the collector's e-mail"
    )
    trusted_hosts: str = setting(
        "",
        "Comma-separated host names the collector answers to (*.example.com allowed);"
        " any other Host header gets 400. Empty: every host",
    )
    alert_rules: str = setting(
        "rate,silent,baseline",
        "Office alert rules in use, comma-separated: funnel (unhappy share above the store's"
        " own control limit), rate (unhappy taps above the store's usual rate for the hour),"
        " silent, burst (HappyOrNot's rule), baseline",
    )
    alert_funnel_sigmas: float = setting(
        3.0, "Office alert: standard errors above the store's usual unhappy share (funnel rule)"
    )
    read_database: str = setting(
        "",
        "A streaming replica of a PostgreSQL database, postgresql://USER@HOST/DB: dashboard"
        " pages and exports read from it while it keeps up; empty: everything reads the"
        " database",
    )
    read_max_lag_s: float = setting(
        30.0, "Seconds the replica (read_database) may lag behind before reads go to the"
        " database instead",
    )
    public_url: str = setting(
        "",
        "The dashboard's address as people open it (https://hymy.example.com), for the links"
        " in sign-in and invitation e-mails; empty: the address the browser used, or"
        " http://HOST:PORT from the command line",
    )
    oidc_issuer: str = setting(
        "",
        "OpenID Connect provider for single sign-on (https://login.example.com/realms/shop);"
        " people sign in with it when its verified e-mail is an enabled account. Empty: off",
    )
    oidc_client_id: str = setting("", "This collector's client id at the OpenID Connect provider")
    oidc_client_secret: str = setting(
        "", "This collector's client secret at the OpenID Connect provider"
    )
    comment_retention_days: int = setting(
        365, "Days a shopper's comment is kept; the comments chore deletes older ones"
    )
    alert_rate_alpha: float = setting(
        9e-4, "Office alert: how rare (0-1) a window's unhappy taps must be at the store's usual"
        " rate for its hour (rate rule)"
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``HYMY_<NAME>`` variables, then explicit (non-None) overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = environ.get(env_name(item.name))
            if raw is not None and raw != "":
                values[item.name] = convert(item.name, raw, type(item.default))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values).checked()

    def checked(self) -> Settings:
        """Raise ValueError with a clear message for values that cannot work."""
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if self.auth_failures_per_minute < 1:
            raise ValueError("auth_failures_per_minute must be at least 1")
        if any(o.strip() == "*" for o in self.cors_origins.split(",")):
            raise ValueError("cors_origins lists origins (https://dashboard.example.com), not '*'")
        if self.max_ingest_requests < 1:
            raise ValueError("max_ingest_requests must be at least 1")
        if self.max_uploads_per_kiosk < 1:
            raise ValueError("max_uploads_per_kiosk must be at least 1")
        if self.body_timeout_s <= 0 or self.header_timeout_s <= 0:
            raise ValueError("body_timeout_s and header_timeout_s must be positive")
        if not 0 < self.alert_burst_share <= 1:
            raise ValueError(f"alert_burst_share must be above 0 and at most 1, not "
                             f"{self.alert_burst_share}")
        if self.alert_burst_min_responses < 1 or self.alert_silent_hours <= 0:
            raise ValueError("alert_burst_min_responses and alert_silent_hours must be positive")
        from sync.collector.alerts import parse_rule_names

        try:
            parse_rule_names(self.alert_rules)
        except ValueError as error:
            raise ValueError(f"alert_rules: {error}") from None
        if not 0 < self.alert_rate_alpha < 1:
            raise ValueError(f"alert_rate_alpha must be above 0 and below 1, not "
                             f"{self.alert_rate_alpha}")
        if self.alert_funnel_sigmas <= 0:
            raise ValueError(
                f"alert_funnel_sigmas must be positive, not {self.alert_funnel_sigmas}")
        if self.comment_retention_days < 1:
            raise ValueError(f"comment_retention_days must be at least 1, not "
                             f"{self.comment_retention_days}")
        if any(not h or "/" in h or ":" in h for h in self.host_names()):
            raise ValueError("trusted_hosts lists host names without scheme or port"
                             f" (hymy.example.com,localhost), not {self.trusted_hosts!r}")
        if self.smtp_url:
            from sync.collector.notify.mail import Server

            Server.parse(self.smtp_url)
        if self.read_database:
            self.check_replica()
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError(f"public_url starts with https:// or http://, not {self.public_url!r}")
        if self.oidc_issuer and not (self.oidc_issuer.startswith(("http://", "https://"))
                                     and self.oidc_client_id and self.oidc_client_secret):
            raise ValueError("oidc_issuer needs an http(s):// address, oidc_client_id and"
                             " oidc_client_secret (HYMY_OIDC_*)")
        if self.log_level.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError(f"log_level must be debug, info, warning or error: {self.log_level}")
        return self

    def check_replica(self) -> None:
        """A replica is a PostgreSQL server's, read beside a PostgreSQL ``database``."""
        for name, url in (("read_database", self.read_database), ("database", self.database)):
            if not url.startswith(("postgresql://", "postgres://")):
                raise ValueError("read_database (a streaming replica) needs database and"
                                 f" read_database to be postgresql:// URLs; {name} is not")
        if self.read_max_lag_s <= 0:
            raise ValueError(f"read_max_lag_s must be positive, not {self.read_max_lag_s}")

    def host_names(self) -> list[str]:
        """``trusted_hosts`` as a list; empty when every Host header is accepted."""
        if not self.trusted_hosts.strip():
            return []
        return [name.strip() for name in self.trusted_hosts.split(",")]

    def oidc_name(self) -> str | None:
        """What "Sign in with ..." calls the OpenID Connect provider: its issuer's host
        name (None: single sign-on is off)."""
        return urlsplit(self.oidc_issuer).hostname if self.oidc_issuer else None

    def as_env(self) -> dict[str, str]:
        """The settings as ``HYMY_*`` variables, for handing to server worker processes."""
        return {env_name(item.name): str(getattr(self, item.name)) for item in fields(self)}


def env_name(name: str) -> str:
    """``clock_tolerance_s`` -> ``HYMY_CLOCK_TOLERANCE_S``."""
    return ENV_PREFIX + name.upper()


def convert(name: str, raw: str, kind: type) -> Any:
    """Turn an environment string into the setting's type, naming the variable on error."""
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{env_name(name)}={raw!r} is not a valid {kind.__name__}") from None


def describe() -> list[tuple[str, str, Any, str]]:
    """(name, environment variable, default, help) for every setting, for docs and help."""
    return [
        (item.name, env_name(item.name), item.default, item.metadata["help"])
        for item in fields(Settings)
    ]
