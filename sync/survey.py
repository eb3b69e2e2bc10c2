"""The survey a kiosk shows, defined once for the collector and the kiosk.

An admin sets a store's survey (``PUT /api/v1/stores/{id}/survey`` or
``hymy-collector survey set STORE FILE.toml``); kiosks fetch it with
``GET /api/v1/survey`` and an ``If-None-Match`` header, and stamp each rating
with the ``version`` they showed.  The collector assigns versions 1, 2, 3...;
version 0 is :data:`DEFAULT_SURVEY`, used until a store gets its own.

The TOML file's keys are :class:`Survey`'s fields (``kind``, ``scale``,
``questions``, ``reasons``, ``reason_labels``, ...); ``hymy-collector survey set
--help`` shows an example file and docs/kiosk.md one of each kind.  A survey
asks one of three kinds of question (:data:`sync.metrics.KINDS`): ``csat`` (3,
4 or 5 faces, the default, so every survey written before kinds is still one),
``nps`` (0-10, its scale of 11 implied) or ``ces`` (a 7-point agree scale).
The follow-up after a negative answer offers ``reasons``, the one after a
positive answer ``positive_reasons`` (:func:`sync.metrics.sentiment` says
which is which).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sync import i18n
from sync.metrics import KIND_SCALES
from sync.wire import REASON_KEY

#: The reason keys a kiosk may offer with its own config while its store has no
#: survey (version 0): ``kiosk.config.KNOWN_REASONS``, which a test keeps equal.
BUILT_IN_REASONS = frozenset((
    "queue", "staff", "prices", "availability", "cleanliness", "other", "checkout", "quality",
    "friendly", "fast", "selection", "value", "tidy", "atmosphere",
))
_KEY = re.compile(REASON_KEY)
_LANG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")


#: Text by language, e.g. ``{"fi": "...", "en": "..."}``.
Texts = dict[str, str]


def _check_texts(field: str, texts: Texts, limit: int = 500) -> None:
    """Each key a language code, each text 1-``limit`` characters."""
    for lang, text in texts.items():
        if not _LANG.match(lang):
            raise ValueError(f"{field}: {lang!r} is not a language code like 'fi'")
        if not text.strip() or len(text) > limit:
            raise ValueError(f"{field}.{lang}: give 1-{limit} characters")


def choices(numbers: tuple[int, ...]) -> str:
    """Numbers as a person lists them: '3, 4 or 5', '7'."""
    words = list(map(str, numbers))
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def scale_problem(kind: str | None, scale: object) -> str | None:
    """Why ``scale`` is not a scale for a ``kind`` survey (None: it is), naming what is.

    The one rule for every way a survey arrives (TOML file, API body): a CSAT
    survey of 6 is told "3, 4 or 5", never the union of every kind's scales.
    ``kind`` None means the kind itself was invalid, so every kind's scales are named.
    """
    every = [number for scales in KIND_SCALES.values() for number in scales]
    allowed = tuple(every) if kind not in KIND_SCALES else KIND_SCALES[kind]
    if scale in allowed and not isinstance(scale, bool):
        return None
    if kind not in KIND_SCALES:
        listed = "; ".join(f"{choices(scales)} for {name}" for name, scales in KIND_SCALES.items())
        return f"give {listed}, not {scale!r}"
    return (f"{kind} surveys have {choices(allowed)} answers, not {scale!r}"
            f" (leave scale out or set it to {allowed[-1]})")


def _check_keys(field: str, keys: list[str]) -> None:
    """Reason keys: short lowercase words, each once."""
    for key in keys:
        if not _KEY.match(key):
            raise ValueError(f"{field}: {key!r} must be a short lowercase key like 'queue'")
    if len(set(keys)) != len(keys):
        raise ValueError(f"{field}: each key may appear once")


class Survey(BaseModel):
    """A store's question: its kind and scale, and the follow-ups after either kind of answer."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=0, ge=0, description="Assigned by the collector")
    kind: Literal["csat", "nps", "ces"] = Field(
        default="csat", description="csat (faces), nps (0-10) or ces (7-point agree scale)")
    #: Never None once validated: left out, it is the kind's (5 faces for csat).
    scale: Literal[3, 4, 5, 7, 11] | None = Field(
        default=None,
        description="Number of answers: 3, 4 or 5 faces (csat, default 5); 11 for nps, 7 for ces")
    questions: Texts = Field(min_length=1,
                             description="Question (CES: the statement) by language")
    reasons: list[str] = Field(default_factory=list, max_length=20,
                               description="Reason keys asked after a negative answer")
    reason_labels: dict[str, Texts] = Field(
        default_factory=dict, description="Reason text by language, then by reason key"
    )
    low_labels: Texts = Field(default_factory=dict,
                              description="NPS/CES: the lowest answer's label by language")
    high_labels: Texts = Field(default_factory=dict,
                               description="NPS/CES: the highest answer's label by language")
    followup_questions: Texts = Field(
        default_factory=dict, description="The question after a negative answer, by language")
    positive_reasons: list[str] = Field(default_factory=list, max_length=6,
                                        description="Reason keys asked after a positive answer")
    positive_questions: Texts = Field(
        default_factory=dict, description="The question after a positive answer, by language")

    @field_validator("scale", mode="before")
    @classmethod
    def _scale_of_kind(cls, scale: object, info: ValidationInfo) -> object:
        """Judge the scale by the survey's kind (validated first), before the type's
        own check could answer with every kind's scales at once."""
        problem = None if scale is None else scale_problem(info.data.get("kind"), scale)
        if problem:
            raise ValueError(problem)
        return scale

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        if self.scale is None:
            self.scale = 5 if self.kind == "csat" else KIND_SCALES[self.kind][0]
        _check_texts("questions", self.questions)
        for field in ("low_labels", "high_labels"):
            _check_texts(field, getattr(self, field), limit=60)
        if self.kind == "csat" and (self.low_labels or self.high_labels):
            raise ValueError("low_labels, high_labels: only nps and ces surveys have end labels"
                             " (faces are labelled by the catalogs)")
        _check_texts("followup_questions", self.followup_questions)
        _check_texts("positive_questions", self.positive_questions)
        _check_keys("reasons", self.reasons)
        _check_keys("positive_reasons", self.positive_reasons)
        both = sorted(set(self.reasons) & set(self.positive_reasons))
        if both:
            raise ValueError(f"positive_reasons: {', '.join(both)} already in reasons;"
                             " a key means one thing")
        for lang, labels in self.reason_labels.items():
            unknown = sorted(set(labels) - set(self.reasons) - set(self.positive_reasons))
            if unknown:
                raise ValueError(f"reason_labels.{lang}: {', '.join(unknown)} not in reasons"
                                 " or positive_reasons")
        return self

    def reason_keys(self) -> list[str]:
        """Every reason key this survey offers, after negative and positive answers."""
        return [*self.reasons, *self.positive_reasons]

    def body(self) -> dict:
        """The survey as a JSON-ready dict, without the parts a survey from before
        question kinds could not have while they hold their defaults: such a survey
        keeps its body, so the collector's stored JSON and every kiosk's tag stay."""
        body = self.model_dump()
        for name in LATER_FIELDS:
            if body[name] == type(self).model_fields[name].get_default(call_default_factory=True):
                del body[name]
        return body

    def etag(self) -> str:
        """A strong HTTP entity tag that changes whenever any part of the survey does."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return f'"{self.version}-{digest}"'


#: Fields added with question kinds (issue 16), left out of :meth:`Survey.body` at their defaults.
LATER_FIELDS = ("kind", "low_labels", "high_labels", "followup_questions", "positive_reasons",
                "positive_questions")

DEFAULT_SURVEY = Survey(
    version=0,
    scale=5,
    questions={
        "fi": "Miten onnistuimme tänään?",
        "sv": "Hur lyckades vi i dag?",
        "en": "How did we do today?",
    },
)


#: The languages a kiosk offers unless its config's ``languages`` says otherwise (the
#: default of ``kiosk.config``'s setting, which a test keeps equal).
KIOSK_LANGUAGES = tuple(DEFAULT_SURVEY.questions)
#: A survey's texts by language, and the kiosk catalog's key a missing language shows.
STOCK_KEYS = {"questions": "question", "followup_questions": "followup_question",
              "positive_questions": "positive_question", "low_labels": "{kind}_low",
              "high_labels": "{kind}_high"}


def stock_text(field: str, lang: str, kind: str) -> str:
    """What a kiosk shows for ``field`` in ``lang`` when the survey has no text for it:
    the language's catalog (English filling gaps), the kind's own question if it has one."""
    strings = i18n.with_fallback(lang, "kiosk")
    key = STOCK_KEYS[field].format(kind=kind)
    if field == "questions" and kind != "csat":
        key = f"{kind}_question"
    return strings.get(key) or strings.get(STOCK_KEYS[field], "")


def language_warnings(survey: Survey, answered: list[str]) -> list[str]:
    """One line per text of ``survey`` worded in some of the store's languages but not all.

    Kiosks fill a missing language with their stock words, so shoppers would be asked
    differently by language; an admin should know which and what they will read.
    ``answered``: the languages shoppers at the store have answered in lately; none
    yet, the languages a kiosk offers by default stand in for them.
    """
    wanted = answered or list(KIOSK_LANGUAGES)
    why = (f"shoppers at this store answer in {_listing(answered)}" if answered else
           f"kiosks offer {_listing(wanted)} unless their config's languages say otherwise")
    warnings = []
    for field in STOCK_KEYS:
        texts = getattr(survey, field)
        missing = [lang for lang in wanted if not texts.get(lang)]
        if not texts or not missing:
            continue
        instead = "; ".join(f'{lang}: "{stock_text(field, lang, survey.kind)}"'
                            for lang in missing)
        warnings.append(
            f"{field}: no {_listing(missing)} text (given: {', '.join(texts)}), though {why};"
            f" kiosks show their stock words there instead ({instead}), so the wording differs"
            f" by language: add {_listing([f'{field}.{lang}' for lang in missing])}")
    return warnings


def _listing(words: list[str]) -> str:
    """'fi, sv and en': words as a sentence lists them."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


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


def survey_from_toml(text: str, source: str | None = None) -> Survey:
    """Parse a survey TOML file (see the module docstring for the layout).

    With ``source`` (the file's name) a mistake names the file and, when the field at
    fault is written on a line of its own, that line: an installer setting several
    stores' files can go straight to it.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(_where(source, None, f"not valid TOML: {error}")) from None
    try:
        return parse_survey(data)
    except ValueError as error:
        field = str(error).split(":", 1)[0].split(".", 1)[0]
        raise ValueError(_where(source, _line_of(text, field), str(error))) from None


def _line_of(text: str, field: str) -> int | None:
    """The line (1-based) where a top-level key or table ``field`` is written, if found."""
    key = re.compile(rf"""^\s*(\[\s*)?["']?{re.escape(field)}["']?\s*[=.\]]""")
    for number, line in enumerate(text.splitlines(), start=1):
        if key.match(line):
            return number
    return None


def _where(source: str | None, line: int | None, message: str) -> str:
    """``message`` prefixed by 'FILE, line N: ' as far as they are known."""
    if source is None:
        return message
    return f"{source}, line {line}: {message}" if line else f"{source}: {message}"
