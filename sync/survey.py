"""The survey a kiosk shows, defined once for the collector and the kiosk.

An admin sets a store's survey (``PUT /api/v1/stores/{id}/survey`` or
``hymy-collector survey set STORE FILE.toml``); kiosks fetch it with
``GET /api/v1/survey`` and an ``If-None-Match`` header, and stamp each rating
with the ``version`` they showed.  The collector assigns versions 1, 2, 3...;
version 0 is :data:`DEFAULT_SURVEY`, used until a store gets its own.

The TOML file's keys are :class:`Survey`'s fields (``scale``, ``reasons``,
``questions``, ``reason_labels``); ``hymy-collector survey set --help`` shows
an example file.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sync.wire import REASON_KEY

#: The reason keys a kiosk may offer with its own config while its store has no
#: survey (version 0): ``kiosk.config.KNOWN_REASONS``, which a test keeps equal.
BUILT_IN_REASONS = frozenset((
    "queue", "staff", "prices", "availability", "cleanliness", "other", "checkout", "quality",
))
_KEY = re.compile(REASON_KEY)
_LANG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")


class Survey(BaseModel):
    """A store's question, its number of faces and the follow-up reasons."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=0, ge=0, description="Assigned by the collector")
    scale: Literal[3, 4, 5] = Field(default=5, description="Number of faces")
    questions: dict[str, str] = Field(min_length=1, description="Question text by language")
    reasons: list[str] = Field(default_factory=list, max_length=20, description="Reason keys")
    reason_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Reason text by language, then by reason key"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        for lang, text in self.questions.items():
            if not _LANG.match(lang):
                raise ValueError(f"questions: {lang!r} is not a language code like 'fi'")
            if not text.strip() or len(text) > 500:
                raise ValueError(f"questions.{lang}: give 1-500 characters")
        for key in self.reasons:
            if not _KEY.match(key):
                raise ValueError(f"reasons: {key!r} must be a short lowercase key like 'queue'")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons: each key may appear once")
        for lang, labels in self.reason_labels.items():
            unknown = sorted(set(labels) - set(self.reasons))
            if unknown:
                raise ValueError(f"reason_labels.{lang}: {', '.join(unknown)} not in reasons")
        return self

    def body(self) -> dict:
        """The survey as a JSON-ready dict."""
        return self.model_dump()

    def etag(self) -> str:
        """A strong HTTP entity tag that changes whenever any part of the survey does."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return f'"{self.version}-{digest}"'


DEFAULT_SURVEY = Survey(
    version=0,
    scale=5,
    questions={
        "fi": "Miten onnistuimme tänään?",
        "sv": "Hur lyckades vi i dag?",
        "en": "How did we do today?",
    },
)


def explain(error: ValidationError) -> str:
    """Turn a pydantic error into one short human line: 'scale: ...; questions: ...'."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_survey(data: object) -> Survey:
    """Validate a survey from JSON or TOML data; raises ValueError with a short reason."""
    if not isinstance(data, dict):
        raise ValueError("a survey must be an object with scale, questions and reasons")
    try:
        return Survey.model_validate(data)
    except ValidationError as error:
        raise ValueError(explain(error)) from None


def survey_from_toml(text: str) -> Survey:
    """Parse a survey TOML file (see the module docstring for the layout)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"not valid TOML: {error}") from None
    return parse_survey(data)
