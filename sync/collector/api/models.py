"""The JSON API's answers and its one error shape, declared once as pydantic models.

Each model names a shape the routes already answered (``reports.py`` and
``storage.py`` build the dicts; a route's ``response_model`` checks them on
the way out), so ``/openapi.json`` describes every answer by name and a
client generated from it returns typed objects.  Fields have no defaults:
every key is always present, ``null`` where a value is unknown.

The answer models refuse keys they do not declare (:class:`Answer`): a key a
report starts sending shows up as a failing test, not as a field the API
silently drops.  Their schemas still allow more properties, so a client
generated today keeps working when a later version adds a field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from sync.survey import Survey


def _open_schema(schema: dict[str, Any]) -> None:
    """Leave ``additionalProperties`` out of an answer's schema: new fields may come."""
    schema.pop("additionalProperties", None)


class Answer(BaseModel):
    """An API answer: every key declared (checked on the way out), more allowed later."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_open_schema)


class Error(Answer):
    """Every 4xx and 5xx answer of the JSON API (a browser asking for a page gets HTML)."""

    detail: str = Field(description="One human sentence saying what went wrong and what to do")
    request_id: str = Field(description="This request's id in the collector log (also the"
                                        " X-Request-ID header)")


#: What each error status means, for the OpenAPI document.
ERROR_MEANINGS = {
    400: "Not JSON, not UTF-8 or broken gzip; nothing stored",
    401: "Missing, unknown or revoked token",
    403: "This token's role (or store) may not",
    404: "No such store, kiosk, token or code",
    408: "Body not received within body_timeout_s; nothing stored",
    409: "Conflicts with what exists; nothing changed",
    410: "Code used, expired or replaced; nothing changed",
    413: "Body or batch too large; nothing stored",
    415: "Unsupported Content-Encoding or Content-Type",
    422: "A parameter or body is invalid; the detail names which",
    429: "Too many requests; retry after Retry-After seconds",
    500: "A bug: the detail carries the request id to look up in the log",
    503: "The database is busy or unavailable; retry after Retry-After seconds",
}


def errors(*codes: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for routes answering ``codes`` as :class:`Error`.

    ``meanings`` overrides a status's description for one route (``e404="..."``).
    """
    return {code: {"model": Error,
                   "description": meanings.get(f"e{code}", ERROR_MEANINGS[code])}
            for code in codes}


class Health(Answer):
    """The collector is up and its database answers."""

    status: Literal["ok"]
    version: str = Field(description="The collector's version")


class KioskIdentity(Answer):
    """Which store and kiosk a kiosk token is for, as the collector records them."""

    store_id: str
    store_name: str
    kiosk_id: str
    timezone: str = Field(description="The store's IANA time zone; the kiosk dates taps in it")


RetiredAt = Annotated[str | None, Field(description="When it was retired (UTC), or null")]


class Store(Answer):
    """A store: its id, name, time zone, retirement and number of kiosks."""

    id: str
    name: str
    timezone: str
    retired_at: RetiredAt
    region_id: str | None = Field(description="Its region; null: directly under the chain")
    kiosks: int = Field(description="Kiosks registered in it, retired ones included")


class Stores(RootModel[list[Store]]):
    """The stores a token may read, by id."""


class Figures(Answer):
    """CSAT figures of a set of responses (:mod:`sync.metrics`), rounded to 0.1."""

    responses: int = Field(description="Counted responses (suppressed taps left out)")
    satisfied: int
    csat: float | None = Field(description="satisfied / responses x 100; null without responses")
    ci_low: float | None = Field(description="Lower end of the 95% Wilson interval")
    ci_high: float | None = Field(description="Upper end of the 95% Wilson interval")
    happy_index: float | None = Field(description="Faces mapped to 0..100 and averaged")
    suppressed: int = Field(description="Taps within the response interval, not counted")
    counts: dict[str, int] = Field(description="Counted responses per face, '1' (worst) up")


class Period(Answer):
    """A store and the period (store-local dates, inclusive) an answer covers."""

    store_id: str
    start: str = Field(alias="from", description="First local date")
    end: str = Field(alias="to", description="Last local date")


class Day(Figures):
    """One store-local day's figures."""

    date: str


class Daily(Period):
    """A store's figures per local day, days without taps included."""

    days: list[Day]


class Summary(Period, Figures):
    """A store's figures over the whole period."""


QuestionKind = Literal["csat", "nps", "ces"]


class KindFigure(Answer):
    """One kind's figure in the shape every kind shares (CSAT's value is its percent)."""

    kind: QuestionKind
    responses: int = Field(description="Counted responses of this kind")
    value: float | None = Field(description="CSAT in percent, NPS -100..100 (0.1) or the CES"
                                            " mean 1-7 (0.01); null without responses")
    ci_low: float | None = Field(description="Lower end of the 95% interval (CSAT: Wilson;"
                                             " NPS: adjusted Wald; CES: Student t)")
    ci_high: float | None = Field(description="Upper end of the 95% interval")


class KindFigures(KindFigure):
    """NPS or CES figures of a set of responses (:func:`sync.metrics.figure`)."""

    kind: Literal["nps", "ces"] = Field(description="nps: -100..100; ces: the mean, 1-7")
    suppressed: int = Field(description="Taps of this kind within the response interval")
    counts: dict[str, int] = Field(description="Counted responses per answer (NPS '0'-'10',"
                                               " CES '1'-'7')")


class KindDay(KindFigures):
    """One store-local day's NPS or CES figures."""

    date: str


class KindDaily(Period):
    """A store's NPS or CES figures per local day (``kind=nps|ces``)."""

    days: list[KindDay]


class KindSummary(Period, KindFigures):
    """A store's NPS or CES figures over the whole period (``kind=nps|ces``)."""


class HeatmapCell(Answer):
    """One weekday and store-local hour over the period."""

    weekday: int = Field(description="0 = Monday")
    day: str = Field(description="Mon .. Sun")
    hour: int
    responses: int
    satisfied: int
    csat: float | None
    happy_index: float | None


class Heatmap(Period):
    """168 cells, Monday 00 .. Sunday 23."""

    cells: list[HeatmapCell]


class Reason(Figures):
    """A follow-up reason with the figures of the responses it came with."""

    reason: str = Field(description="Reason key")
    label: str = Field(description="Its text in the language asked for")
    share: float = Field(description="Percent of the responses that gave a reason")


class Reasons(Period):
    """How often each reason was given, most given first."""

    responses: int = Field(description="All counted responses of the period")
    with_reason: int
    reasons: list[Reason]


class Place(Answer):
    """A store's place in a ranking."""

    store_id: str
    name: str
    rank: int | None = Field(description="1 = best; null below min_responses")


class RankedStore(Figures, Place):
    """A store's figures over the period and its place."""


class RankedPeriod(Answer):
    """The period a ranking covers and the responses a store needs to be ranked."""

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    min_responses: int


class Ranking(RankedPeriod):
    """Every active store over a period, best first."""

    ranked_by: Literal["ci_low", "csat", "happy_index"]
    stores: list[RankedStore]


class KindRankedStore(KindFigures, Place):
    """A store's NPS or CES figures over the period and its place."""


class KindRanking(RankedPeriod):
    """Every active store over a period by NPS or CES (``kind=nps|ces``), best first."""

    kind: Literal["nps", "ces"]
    ranked_by: Literal["ci_low", "value"]
    stores: list[KindRankedStore]


class DailyOfKind(RootModel[Daily | KindDaily]):
    """``/stores/{id}/daily``: CSAT days (the default) or, with ``kind=nps|ces``, that kind's."""


class SummaryOfKind(RootModel[Summary | KindSummary]):
    """``/stores/{id}/summary``: CSAT (the default) or, with ``kind=nps|ces``, that kind's."""


class RankingOfKind(RootModel[Ranking | KindRanking]):
    """``/ranking``: by CSAT (the default) or, with ``kind=nps|ces``, by that kind."""


class KioskHealth(Answer):
    """What the collector knows of a kiosk's health: contact, its last report, lost taps."""

    store_id: str
    label: str | None
    last_seen: str | None = Field(description="Last batch or heartbeat (UTC)")
    silent_s: int | None = Field(description="Seconds since last_seen")
    app_version: str | None
    uptime_s: int | None = Field(description="Seconds since the kiosk app started")
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    database_bytes: int | None = Field(description="The kiosk's database file plus its WAL")
    pending: int | None
    oldest_pending_at: str | None
    rejected: int | None
    config_timezone: str | None = Field(description="The time zone the kiosk's config names")
    clock_offset_s: float | None
    missing: int = Field(description="Seqs below the highest received that never arrived")


class StoreKiosk(KioskHealth):
    """One kiosk of a store: status, sync and the "nothing lost" audit."""

    id: str
    touchpoint: str | None = Field(description="Where in its store it stands, e.g. checkout")
    created_at: str
    retired_at: RetiredAt
    last_sync: str | None
    last_rating_at: str | None = Field(description="Newest created_at received")
    reported_last_seq: int | None = Field(description="Highest seq the kiosk says it wrote")
    received: int = Field(description="Ratings stored")
    max_seq: int = Field(description="Highest seq stored")
    clock_suspect: bool
    contiguous_seq: int = Field(description="Highest seq with every seq below it stored")
    missing_ranges: list[list[int]] = Field(description="[first, last] seq ranges missing")
    unsent: int | None = Field(description="Ratings the kiosk wrote but has not delivered")


class StoreKiosks(Answer):
    """A store's kiosks."""

    store_id: str
    kiosks: list[StoreKiosk]


class FleetKiosk(KioskHealth):
    """One kiosk in use: where it is, its state, and its last report of itself."""

    # Built from a StoreKiosk's row: the fields it does not show are left out.
    model_config = ConfigDict(extra="ignore")

    store_name: str
    kiosk_id: str
    state: Literal["silent", "unhealthy", "never", "ok"] = Field(
        description="silent: no contact for longer than silent_after_s; unhealthy: its last"
        " report shows a problem; never: it has not called yet")
    problems: list[Literal["disk", "rejected", "pending", "timezone", "version", "clock",
                           "gaps"]] = Field(
        description="disk: free space low (under 10% or 500 MB); rejected: ratings refused"
        " and kept aside; pending: a rating waiting over an hour; timezone: the kiosk's config"
        " names another zone than the store's; version: older than the newest in the fleet;"
        " clock: its clock is off; gaps: seqs never received")
    store_timezone: str


class Fleet(Answer):
    """The kiosks this token may read, silent and unhealthy first."""

    silent_after_s: float
    newest_version: str | None
    kiosks: list[FleetKiosk]


class CreatedStore(Answer):
    """A store just created."""

    id: str
    name: str
    timezone: str
    region_id: str | None


class CreatedKiosk(Answer):
    """A kiosk just registered, with its token (shown only in this answer)."""

    kiosk_id: str
    store_id: str
    token_id: int
    token: str


class CreatedToken(Answer):
    """A staff, office or admin token just created (shown only in this answer)."""

    id: int
    role: str
    store_id: str | None
    region_id: str | None
    token: str


class Token(Answer):
    """A token's id, role, scope and dates (never its secret)."""

    id: int
    role: Literal["kiosk", "staff", "office", "admin"]
    store_id: str | None
    kiosk_id: str | None
    region_id: str | None = Field(description="The region a staff or office token reads")
    label: str | None
    created_at: str
    revoked_at: str | None


class Tokens(RootModel[list[Token]]):
    """Every token, by id."""


class KioskState(Answer):
    """A kiosk after a change."""

    # storage.kiosk() also gives created_at, which this answer never showed.
    model_config = ConfigDict(extra="ignore")

    id: str
    store_id: str
    label: str | None
    touchpoint: str | None = Field(description="Where in its store it stands, e.g. checkout")
    retired_at: RetiredAt
    received: int = Field(description="Ratings it has delivered")


class StoredAlert(Answer):
    """An alert of the alert log: what the rules found, when, and who acknowledged it."""

    id: int
    kind: str = Field(description="The rule: silent, burst, baseline")
    store_id: str
    store_name: str
    kiosk_id: str | None = Field(description="The kiosk it is about, or null for the store")
    severity: int = Field(description="2 = act now, 1 = look at it")
    state: Literal["open", "acknowledged", "closed"]
    opened_at: str = Field(description="When the evaluator first found it (UTC)")
    closed_at: str | None = Field(description="When its condition cleared (UTC), or null")
    data: dict[str, Any] = Field(description="The numbers behind it, as last evaluated")
    acknowledged_by: str | None = Field(description="Who acknowledged it (a login's label)")
    acknowledged_at: str | None
    ack_comment: str | None


class AlertHistory(Answer):
    """Alerts open at some time in the period (UTC dates, inclusive), newest first."""

    start: str = Field(alias="from", description="First UTC date")
    end: str = Field(alias="to", description="Last UTC date")
    store_id: str | None = Field(description="The store asked for, or null for every store")
    alerts: list[StoredAlert]

class StoreAlerting(Answer):
    """A store's own alerting: its opening hours and the thresholds it overrides.

    A null threshold is the chain's (``HYMY_ALERT_*``); null opening hours are
    inferred from the hours the store gets responses.
    """

    store_id: str
    opening_hours: str | None = Field(
        description="Store-local, e.g. 'mon-fri 9-21; sat 10-18'; silent-kiosk alerts count"
                    " only these hours")
    silent_hours: float | None = Field(description="Opening hours a kiosk may be silent")
    funnel_sigmas: float | None = Field(
        description="Standard errors above the store's usual unhappy share (funnel rule)")
    funnel_min_responses: int | None = Field(
        description="Fewest responses in the window for the funnel rule")
    burst_share: float | None = Field(description="Unhappy share (0-1) of a burst")
    burst_min_responses: int | None = Field(description="Fewest responses in a burst")
    rate_alpha: float | None = Field(
        description="How rare a window's unhappy taps must be at the store's usual rate for"
                    " its hour (rate rule)")


class Region(Answer):
    """A region of the chain: its parent, its own sub-regions and stores."""

    model_config = ConfigDict(extra="ignore")  # storage gives created_at, not shown

    id: str
    name: str
    parent_id: str | None = Field(description="The region it is part of; null: the chain")
    regions: list[str] = Field(description="Its sub-regions' ids")
    stores: list[str] = Field(description="Ids of the stores directly in it")
    all_stores: int = Field(description="Stores in it and every sub-region")


class Regions(RootModel[list[Region]]):
    """The regions this token may read, by id."""


class RegionPeriod(Answer):
    """A region and the period (store-local dates, inclusive) an answer covers."""

    region_id: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")


class RegionDaily(RegionPeriod):
    """A region's figures per local day: all its stores' responses together."""

    days: list[Day]


class RegionSummary(RegionPeriod, Figures):
    """A region's figures over the period: all its stores' responses together."""

    stores: int = Field(description="Stores in the region and its sub-regions")


class RegionKindDaily(RegionPeriod):
    """A region's NPS or CES figures per local day (``kind=nps|ces``)."""

    days: list[KindDay]


class RegionKindSummary(RegionPeriod, KindFigures):
    """A region's NPS or CES figures over the period (``kind=nps|ces``)."""

    stores: int = Field(description="Stores in the region and its sub-regions")


class RegionDailyOfKind(RootModel[RegionDaily | RegionKindDaily]):
    """``/regions/{id}/daily``: CSAT days (the default) or, with ``kind=nps|ces``, that kind's."""


class RegionSummaryOfKind(RootModel[RegionSummary | RegionKindSummary]):
    """``/regions/{id}/summary``: CSAT (the default) or, with ``kind=nps|ces``, that kind's."""


class TouchpointFigures(Answer):
    """A touchpoint of a store with the figure of each kind asked there."""

    touchpoint: str | None = Field(description="Its name (e.g. checkout, service_desk);"
                                               " null: kiosks that name none")
    kinds: list[QuestionKind] = Field(description="The kinds with responses there")
    responses: int = Field(description="Counted responses of every kind there")
    figures: list[KindFigure] = Field(description="One figure per kind, in kinds' order")


class StoreTouchpoints(Period):
    """A store's touchpoints over a period, most responses first."""

    touchpoints: list[TouchpointFigures]


class ChainPeriod(Answer):
    """The period a chain-wide answer covers (each store's local dates, inclusive)."""

    start: str = Field(alias="from")
    end: str = Field(alias="to")


class ChainSummary(ChainPeriod, Figures):
    """The whole chain's CSAT over a period: every store's responses together."""


class ChainKindSummary(ChainPeriod, KindFigures):
    """The whole chain's NPS or CES over a period (``kind=nps|ces``)."""


class ChainSummaryOfKind(RootModel[ChainSummary | ChainKindSummary]):
    """``/chain/summary``: CSAT (the default) or, with ``kind=nps|ces``, that kind's."""


class ChainDaily(ChainPeriod):
    """The whole chain's CSAT per local date: every store's responses of the date together."""

    days: list[Day]


class ChainKindDaily(ChainPeriod):
    """The whole chain's NPS or CES per local date (``kind=nps|ces``)."""

    days: list[KindDay]


class ChainDailyOfKind(RootModel[ChainDaily | ChainKindDaily]):
    """``/chain/daily``: CSAT days (the default) or, with ``kind=nps|ces``, that kind's."""


class TouchpointSurvey(Answer):
    """The survey set for one touchpoint of a store: kiosks standing there show it."""

    touchpoint: str = Field(description="e.g. checkout, service_desk, exit")
    survey: Survey


class StoreSurveys(Answer):
    """A store's own survey and each touchpoint's that has one (issue #16): a kiosk shows
    its touchpoint's survey, else the store's, else its own config's question."""

    store_id: str
    store: Survey | None = Field(description="The store's own survey; null: none set")
    touchpoints: list[TouchpointSurvey] = Field(description="By touchpoint name")


class SavedSurvey(Survey):
    """A survey just set (``PUT .../survey``): the survey as kiosks get it, and ``warnings``.

    The warnings say which of the store's languages a text leaves to the kiosks'
    stock words (the survey is stored all the same); ``hymy-collector survey set``
    prints the same lines.  A client may PUT this answer back: ``warnings`` and
    ``version`` in a request body are ignored.
    """

    warnings: list[str] = Field(
        default_factory=list,
        description="Texts given in only some of the store's languages, and what kiosks"
                    " show instead; empty: none")
