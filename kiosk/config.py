"""The kiosk's one TOML config file, declared as data and validated at start.

Every key is a :class:`Setting` (name, default, help, check), so the example
config, the docs test and validation all come from one list.  A missing or bad
key stops the app with a one-line :class:`ConfigError` naming the key and the
expected value.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync import i18n
from sync.clock import zone

REQUIRED = object()
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _find_assets() -> Path:
    """``assets/`` beside the packages in a checkout, ``kiosk/assets`` in an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "assets", here / "assets"):
        if (candidate / "i18n").is_dir():
            return candidate
    return here.parent / "assets"


ASSETS = _find_assets()
KNOWN_REASONS = (
    "queue", "staff", "prices", "availability", "cleanliness", "other", "checkout", "quality",
)
#: The praise a kiosk may offer after a positive answer without a collector survey.
KNOWN_POSITIVE_REASONS = ("friendly", "fast", "selection", "value", "tidy", "atmosphere")
#: The question kinds (sync.metrics.KINDS) and the scale each implies (csat: ``scale``).
IMPLIED_SCALES = {"nps": 11, "ces": 7}


class ConfigError(ValueError):
    """A config problem, worded for the person editing the file."""


@dataclass(frozen=True)
class Setting:
    """One config key: its default (or REQUIRED), help text and a validator."""

    name: str
    default: Any
    help: str
    check: Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise ValueError(f"a number from {low:g} to {high:g}")
        return float(value)

    return check


def _scale(value: Any) -> int:
    if value not in (3, 4, 5, 7, 11) or isinstance(value, bool):
        raise ValueError("3, 4 or 5 faces (11 for nps, 7 for ces)")
    return int(value)


def _kind(value: Any) -> str:
    if value not in ("csat", "nps", "ces"):
        raise ValueError("csat, nps or ces")
    return value


def _timezone(value: Any) -> str:
    zone(_text(value))
    return value


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError('a non-empty list of language codes, e.g. ["fi", "sv", "en"]')
    odd = [code for code in value if not _LANGUAGE_CODE.match(code)]
    if odd:  # a code names a catalog file: no paths, no "../"
        raise ValueError(f"language codes like 'fi' or 'pt-BR' (not {odd[0][:20]!r})")
    missing = [code for code in value if not i18n.has_catalog(code)]
    if missing:
        raise ValueError(
            f"codes with a catalog in assets/i18n/ or $HYMY_I18N_DIR (none for {missing[0]!r})")
    return value


def _keys_from(known: tuple[str, ...]) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("a list of reason keys")
        if value and not 2 <= len(value) <= 6:
            raise ValueError("2 to 6 reasons (or [] for no follow-up)")
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"reason keys from {', '.join(known)} (not {unknown[0]!r})")
        return value

    return check


def _faces(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and 1 <= v <= 5 for v in value):
        raise ValueError("a list of face numbers, e.g. [1, 2]")
    return value


def _questions(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('a table of language = "question text"')
    return value


def _pin_hash(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("pbkdf2_sha256$"):
        raise ValueError("a hash printed by `hymy-kiosk hash-pin`")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _optional_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting("store_id", REQUIRED, "Store this kiosk stands in, as known to the collector", _text),
    Setting("kiosk_id", REQUIRED, "This kiosk's id, unique within the chain", _text),
    Setting("timezone", REQUIRED, "The store's IANA time zone, e.g. Europe/Helsinki", _timezone),
    Setting("database", "hymy-kiosk.db", "Local SQLite file (relative to the config file)", _text),
    Setting("kind", "csat", "Question kind: csat (faces), nps (0-10) or ces (7-point agree"
            " scale); a collector survey decides instead", _kind),
    Setting("scale", 5, "Number of faces: 3, 4 or 5 (nps and ces imply 11 and 7)", _scale),
    Setting("languages", ["fi", "sv", "en"], "Languages offered; the first is the default",
            _languages),
    Setting("questions", {}, "Question per language; defaults to the catalog's", _questions),
    Setting("reasons", ["queue", "staff", "prices", "availability", "cleanliness", "other"],
            "Reason buttons after a negative answer (2-6 keys), [] for none",
            _keys_from(KNOWN_REASONS)),
    Setting("positive_reasons", [], "Reason buttons after a positive answer (2-6 keys from "
            f"{', '.join(KNOWN_POSITIVE_REASONS)}), [] for none",
            _keys_from(KNOWN_POSITIVE_REASONS)),
    Setting("followup_faces", [1, 2], "Faces that ask the negative follow-up (csat)", _faces),
    Setting("followup_timeout", 8.0, "Seconds before an unanswered follow-up closes",
            _number(1, 120)),
    Setting("thanks_delay", 3.0, "Seconds the thank-you screen stays", _number(0.5, 60)),
    Setting("response_interval", 5.0,
            "Seconds after a counted tap during which further taps are stored suppressed",
            _number(0, 3600)),
    Setting("staff_pin_hash", REQUIRED, "Salted hash of the staff PIN (`hymy-kiosk hash-pin`)",
            _pin_hash),
    Setting("fullscreen", True, "Run full screen (false for a window while testing)", _bool),
    Setting("retention_days", 90, "Days to keep ratings locally after they synced",
            _number(1, 3650)),
    Setting("comments", False,
            "Show a QR code on the thank-you screen: a 30-minute link for a comment from the"
            " shopper's phone (needs [sync] url and token)", _bool),
    Setting("comment_delay", 15.0,
            "Seconds the thank-you screen stays when it shows the comment QR code (time to"
            " take out a phone); a tap on it brings the question back sooner", _number(3, 120)),
    Setting("comments_url", "",
            "Address phones reach the collector at, e.g. https://hymy.example.com"
            " ('' = [sync] url)", _optional_text),
)

SYNC_SETTINGS: tuple[Setting, ...] = (
    Setting("url", "", "Collector base URL, e.g. https://hymy.example.com ('' = no sync)",
            _optional_text),
    Setting("token", "", "This kiosk's token from `hymy-collector kiosk add`", _optional_text),
    Setting("interval", 30.0, "Seconds between background syncs", _number(1, 86400)),
    Setting("batch_size", 500, "Ratings per upload batch", _number(1, 5000)),
    Setting("ca_bundle", "", "Custom CA bundle file for the collector's TLS certificate",
            _optional_text),
)


@dataclass
class SyncConfig:
    """The ``[sync]`` table."""

    url: str = ""
    token: str = ""
    interval: float = 30.0
    batch_size: int = 500
    ca_bundle: str = ""


@dataclass
class Config:
    """A validated kiosk configuration."""

    store_id: str
    kiosk_id: str
    timezone: str
    staff_pin_hash: str
    database: str = "hymy-kiosk.db"
    kind: str = "csat"
    scale: int = 5
    languages: list[str] = field(default_factory=lambda: ["fi", "sv", "en"])
    questions: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=lambda: list(KNOWN_REASONS[:6]))
    positive_reasons: list[str] = field(default_factory=list)
    followup_faces: list[int] = field(default_factory=lambda: [1, 2])
    followup_timeout: float = 8.0
    thanks_delay: float = 3.0
    response_interval: float = 5.0
    fullscreen: bool = True
    retention_days: float = 90
    comments: bool = False
    comment_delay: float = 15.0
    comments_url: str = ""
    sync: SyncConfig = field(default_factory=SyncConfig)
    path: Path | None = None

    @property
    def database_path(self) -> Path:
        """The database file, relative paths resolved against the config file."""
        db = Path(self.database).expanduser()
        if not db.is_absolute() and self.path is not None:
            db = self.path.parent / db
        return db

    @property
    def comments_base(self) -> str:
        """Where the QR code's links point: ``comments_url``, else the collector's URL."""
        return self.comments_url or self.sync.url


def _apply(settings: tuple[Setting, ...], data: dict, prefix: str) -> dict[str, Any]:
    known = {s.name for s in settings}
    unknown = sorted(set(data) - known)
    if unknown:
        name = unknown[0] if unknown[0].isprintable() else repr(unknown[0])  # one line
        raise ConfigError(f"{prefix}{name}: unknown key (known: {', '.join(sorted(known))})")
    values = {}
    for setting in settings:
        if setting.name not in data:
            if setting.default is REQUIRED:
                raise ConfigError(f"{prefix}{setting.name}: missing; expected {setting.help}")
            values[setting.name] = copy.deepcopy(setting.default)  # SETTINGS is the truth
            continue
        try:
            value = setting.check(data[setting.name])
        except ValueError as error:
            raise ConfigError(
                f"{prefix}{setting.name}: got {data[setting.name]!r}; expected {error}"
            ) from None
        values[setting.name] = value
    return values


def parse(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document into a :class:`Config`."""
    data = dict(data)
    sync_table = data.pop("sync", {})
    if not isinstance(sync_table, dict):
        raise ConfigError("sync: expected a [sync] table")
    values = _apply(SETTINGS, data, "")
    sync_values = _apply(SYNC_SETTINGS, sync_table, "sync.")
    if "batch_size" in sync_values:
        sync_values["batch_size"] = int(sync_values["batch_size"])
    implied = IMPLIED_SCALES.get(values["kind"])
    if implied is not None:
        if "scale" in data and values["scale"] != implied:
            raise ConfigError(f"scale: {values['kind']} kiosks have {implied} answers, not"
                              f" {values['scale']}; leave scale out")
        values["scale"] = implied
    elif values["scale"] not in (3, 4, 5):
        raise ConfigError(f"scale: got {values['scale']}; expected 3, 4 or 5 faces"
                          " (7 and 11 are kind = \"ces\" and \"nps\")")
    config = Config(**values, sync=SyncConfig(**sync_values), path=path)
    if config.comments and not (config.sync.token and (config.comments_url or config.sync.url)):
        raise ConfigError("comments: the links need [sync] token and url (or comments_url)")
    if config.kind == "csat" and any(face > config.scale for face in config.followup_faces):
        raise ConfigError(f"followup_faces: faces must be 1..{config.scale} on this scale")
    return config


def load(path: str | Path) -> Config:
    """Read and validate a config file; every problem is one line of ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return parse(data, path.resolve())
