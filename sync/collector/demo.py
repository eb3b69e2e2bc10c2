"""A realistic demo chain, so the API and dashboard show real-looking data on first run.

``seed_demo`` creates 12 stores (up to 2 000, the first 12 repeated under
numbered names) in three time zones with one to three
kiosks each and a year of taps with the shapes real stores have: busy Fridays
and Saturdays, lunch and after-work peaks, a December rush, a quiet July,
closed on Christmas Day; satisfaction that dips when it is busy, one store
improving over the year and one slipping, one store on a 3-face scale;
follow-up reasons mostly after unhappy faces; a few suppressed repeat taps.
Kiosk health has stories too: a kiosk that lost seven taps, one that went
silent three days ago, one with a clock seven minutes fast, one offline with
taps pending, one low on disk, one with rejected ratings and a config naming
another time zone, one on an older app version.  With ``kinds`` (``make demo``
asks for them), the first stores also get an NPS kiosk at the exit
(``<store>-exit``) and a CES kiosk at the service desk (``<store>-desk``), drawn
from their own random stream so the CSAT chain is the same with or without
them; their face kiosks then all stand at the checkout.

Rows go through :meth:`Storage.insert_rows`, the code path ingest uses, so the
roll-ups are exactly what real uploads would produce (``hymy-collector check``
agrees).  The same ``seed`` gives the same data.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sync import __version__
from sync.clock import format_utc, parse_utc, utc_now, zone
from sync.collector.db.storage import Storage
from sync.i18n import PREFERRED_ORDER, strings
from sync.metrics import LOWEST, kind_of
from sync.survey import Survey
from sync.wire import KioskStatus, new_rating_id

#: The demo chain, a store a line: its id, its time zone, then its name (which has spaces).
STORE_TABLE = """
hki-kamppi       Europe/Helsinki   Hymy Kamppi
hki-itakeskus    Europe/Helsinki   Hymy Itäkeskus
espoo-isoomena   Europe/Helsinki   Hymy Iso Omena
vantaa-jumbo     Europe/Helsinki   Hymy Jumbo
tampere-ratina   Europe/Helsinki   Hymy Ratina
turku-hansa      Europe/Helsinki   Hymy Hansa
oulu-valkea      Europe/Helsinki   Hymy Valkea
jkl-forum        Europe/Helsinki   Hymy Forum Jyväskylä
sto-gallerian    Europe/Stockholm  Hymy Gallerian
gbg-nordstan     Europe/Stockholm  Hymy Nordstan
tallinn-viru     Europe/Tallinn    Hymy Viru
rovaniemi-sampo  Europe/Helsinki   Hymy Sampokeskus
"""
#: (store id, name, time zone) in STORE_TABLE's order.
STORES = tuple((store_id, name, timezone) for store_id, timezone, name in
               (line.split(maxsplit=2) for line in STORE_TABLE.strip().splitlines()))
#: The demo chain's regions: (id, name, parent); a store's region is its id's city
#: prefix in REGION_OF (stores of other cities stand directly under the chain).
REGIONS = (
    ("uusimaa", "Uusimaa", None),
    ("helsinki", "Helsinki", "uusimaa"),
    ("pirkanmaa", "Pirkanmaa", None),
    ("varsinais-suomi", "Varsinais-Suomi", None),
    ("sweden", "Sverige", None),
)
REGION_OF = {"hki": "helsinki", "espoo": "uusimaa", "vantaa": "uusimaa",
             "tampere": "pirkanmaa", "turku": "varsinais-suomi", "sto": "sweden",
             "gbg": "sweden"}
#: Where a store's kiosks stand, in order: its first kiosk at the checkout, and so on.
TOUCHPOINTS = ("checkout", "service_desk", "exit")
REASONS = ("queue", "staff", "cleanliness", "selection", "price")
LABELS = {
    "en": {"queue": "Queue", "staff": "Service", "cleanliness": "Cleanliness",
           "selection": "Selection", "price": "Prices"},
    "fi": {"queue": "Jono", "staff": "Palvelu", "cleanliness": "Siisteys",
           "selection": "Valikoima", "price": "Hinnat"},
    "sv": {"queue": "Kö", "staff": "Service", "cleanliness": "Renlighet",
           "selection": "Sortiment", "price": "Priser"},
    "de": {"queue": "Warteschlange", "staff": "Service", "cleanliness": "Sauberkeit",
           "selection": "Sortiment", "price": "Preise"},
}
QUESTIONS = {"fi": "Miten onnistuimme tänään?", "sv": "Hur lyckades vi i dag?",
             "en": "How did we do today?", "et": "Kuidas meil täna läks?"}
LANGS = {
    "Europe/Helsinki": (("fi", 0.8), ("sv", 0.07), ("en", 0.13)),
    "Europe/Stockholm": (("sv", 0.85), ("en", 0.15)),
    "Europe/Tallinn": (("et", 0.6), ("en", 0.25), ("fi", 0.15)),
}
#: Share of the day's taps in each opening hour (Sunday opens 10-18).
HOURS = {8: 0.4, 9: 0.6, 10: 0.8, 11: 1.0, 12: 1.4, 13: 1.2, 14: 0.9, 15: 1.0, 16: 1.3,
         17: 1.6, 18: 1.4, 19: 1.0, 20: 0.6, 21: 0.3}
PEAK = {12, 16, 17, 18}
WEEKDAY = (0.85, 0.8, 0.9, 1.0, 1.3, 1.45, 0.75)
#: Face probabilities of an unhappy and a delighted store, mixed by quality 0..1.
#: NPS (11 answers, 0-10) and CES (7, 1-7) tables as well, for the exit and desk kiosks.
BAD = {5: (0.15, 0.15, 0.2, 0.3, 0.2), 3: (0.3, 0.35, 0.35),
       11: (0.06, 0.04, 0.05, 0.06, 0.07, 0.1, 0.12, 0.15, 0.15, 0.1, 0.1),
       7: (0.1, 0.12, 0.15, 0.18, 0.2, 0.15, 0.1)}
GREAT = {5: (0.02, 0.03, 0.07, 0.28, 0.6), 3: (0.05, 0.2, 0.75),
         11: (0.01, 0.01, 0.01, 0.01, 0.02, 0.03, 0.04, 0.07, 0.15, 0.25, 0.4),
         7: (0.01, 0.02, 0.04, 0.08, 0.2, 0.3, 0.35)}
#: The touchpoints asking NPS and CES with ``kinds``: kiosk suffix, scale, share of
#: the store's CSAT volume, touchpoint; and how many stores have them.
KIND_KIOSKS = (("exit", 11, 0.25, "exit"), ("desk", 7, 0.15, "service_desk"))
KIND_STORES = 6


@dataclass
class Profile:
    """How one demo store behaves."""

    store_id: str
    name: str
    timezone: str
    kiosks: list[str]
    daily: float
    quality: float
    trend: float
    scale: int
    issue: str


def profiles(count: int, rng: random.Random) -> list[Profile]:
    """Profiles for ``count`` stores: sizes, quality, trends and favourite complaint."""
    result = []
    for index in range(count):
        store_id, name, timezone = STORES[index % len(STORES)]
        if index >= len(STORES):
            store_id, name = f"{store_id}-{index + 1}", f"{name} {index + 1}"
        size = rng.choice((1, 2, 2, 3))
        result.append(
            Profile(
                store_id=store_id,
                name=name,
                timezone=timezone,
                kiosks=[f"{store_id}-{k}" for k in range(1, size + 1)],
                daily=rng.uniform(90, 160) * size,
                quality=rng.uniform(0.45, 0.9),
                trend={2: 0.35, 5: -0.3}.get(index, rng.uniform(-0.05, 0.05)),
                scale=3 if index == 7 else 5,
                issue=rng.choice(REASONS),
            )
        )
    return result


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total / sum(weights))
    return out


def face_table(scale: int, quality: float) -> list[float]:
    """Cumulative face probabilities for a store of ``quality`` right now."""
    q = min(1.0, max(0.0, quality))
    return _cumulative(tuple((1 - q) * b + q * g for b, g in zip(BAD[scale], GREAT[scale],
                                                                   strict=True)))


def taps(profile: Profile, day: date, days_ago: int, days: int, rng: random.Random,
         now: datetime) -> list[tuple[str, int, int, str | None, bool, str]]:
    """One store-day of taps: (created_at, kiosk index, score, reason, suppressed, lang)."""
    if (day.month, day.day) in ((12, 25), (1, 1)):
        return []
    tz = zone(profile.timezone)
    season = {12: 1.35, 7: 0.8, 11: 1.1}.get(day.month, 1.0)
    weekday = day.weekday()
    hours = {h: w for h, w in HOURS.items() if weekday != 6 or 10 <= h < 18}
    share = sum(hours.values())
    progress = 1 - days_ago / max(days, 1)
    quality = profile.quality + profile.trend * (progress - 0.5) - (0.08 if day.month == 12 else 0)
    langs, lang_weights = zip(*LANGS[profile.timezone], strict=True)
    lang_table = _cumulative(lang_weights)
    out = []
    for hour, weight in hours.items():
        start = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
        if start > now:
            break
        mean = profile.daily * WEEKDAY[weekday] * season * weight / share
        count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        busy = hour in PEAK or weekday in (4, 5)
        table = face_table(profile.scale, quality - (0.12 if busy else 0))
        prefix = format_utc(start)[:14]
        until = min(3600_000, int((now - start).total_seconds() * 1000))
        for offset in sorted(rng.randrange(3600_000) for _ in range(count)):
            if offset >= until:
                break
            minute, rest = divmod(offset, 60_000)
            created = f"{prefix}{minute:02d}:{rest // 1000:02d}.{rest % 1000:03d}Z"
            score = bisect.bisect(table, rng.random()) + 1
            score = min(score, profile.scale)
            reason = _reason(profile, score, busy, rng)
            suppressed = rng.random() < 0.015
            lang = langs[bisect.bisect(lang_table, rng.random())]
            out.append((created, rng.randrange(len(profile.kiosks)), score, reason,
                        suppressed, lang))
    return out


def _reason(profile: Profile, score: int, busy: bool, rng: random.Random) -> str | None:
    """A follow-up answer: likely after an unhappy face, sometimes after a neutral one."""
    unhappy = score <= (1 if profile.scale == 3 else 2)
    neutral = not unhappy and score == (2 if profile.scale == 3 else 3)
    if not (unhappy and rng.random() < 0.7 or neutral and rng.random() < 0.25):
        return None
    weights = [3.0 if r == profile.issue else 1.0 for r in REASONS]
    if busy:
        weights[0] += 2.5
    return rng.choices(REASONS, weights)[0]


#: Most stores a demo chain has: a large Nordic chain's size.
MAX_STORES = 2000


def seed_demo(
    storage: Storage, stores: int = 12, days: int = 365, seed: int = 1,
    now: datetime | None = None, progress: Any = None, taps: float | None = None,
    kinds: bool = False,
) -> dict[str, Any]:
    """Create the demo chain and its taps; returns demo tokens for each role.

    ``taps`` scales every store so the chain averages that many taps per store
    and day (the stores keep their sizes relative to each other): 2 000
    stores x 3 years at the usual ~280 a day would be some 600 M ratings.
    ``kinds`` adds NPS and CES kiosks to the first stores (:func:`seed_kinds`).
    """
    if not 1 <= stores <= MAX_STORES or not 1 <= days <= 3660:
        raise ValueError(f"use 1-{MAX_STORES} stores and 1-3660 days")
    if taps is not None and not 0 < taps <= 100_000:
        raise ValueError("taps per store and day must be above 0 and at most 100000")
    rng = random.Random(seed)
    now = now or utc_now()
    made = profiles(stores, rng)
    if taps is not None:
        mean = sum(profile.daily for profile in made) / len(made)
        for profile in made:
            profile.daily *= taps / mean
    tokens: dict[str, Any] = {}
    for region_id, name, parent in REGIONS:
        storage.add_region(region_id, name, parent)
    for index, profile in enumerate(made):
        storage.add_store(profile.store_id, profile.name, profile.timezone,
                          REGION_OF.get(profile.store_id.split("-")[0]))
        storage.set_survey(profile.store_id, Survey(
            scale=profile.scale, questions=QUESTIONS, reasons=list(REASONS),
            reason_labels=LABELS,
        ))
        standing = places(len(profile.kiosks), kinds and index < KIND_STORES)
        for place, kiosk_id in zip(standing, profile.kiosks, strict=False):
            new = storage.add_kiosk(kiosk_id, profile.store_id, label="demo", touchpoint=place)
            tokens.setdefault("kiosk", {"kiosk_id": kiosk_id, "store_id": profile.store_id,
                                        "token": new.token})
    total = 0
    for index, profile in enumerate(made):
        total += _seed_store(storage, profile, index, days, rng, now)
        if progress is not None:
            progress(profile.store_id)
    if kinds:
        total += seed_kinds(storage, made[:KIND_STORES], days, random.Random(seed + 16), now)
    first = made[0].store_id
    tokens["office"] = storage.add_token("office", label="demo office").token
    tokens["admin"] = storage.add_token("admin", label="demo admin").token
    tokens["staff"] = {"store_id": first,
                       "token": storage.add_token("staff", first, label="demo staff").token}
    return {"stores": len(made), "ratings": total, "tokens": tokens}


def places(kiosks: int, asks_kinds: bool) -> tuple[str, ...]:
    """Where a store's face kiosks stand, in order: spread over TOUCHPOINTS, or all at
    the checkout in a store whose service desk and exit ask CES and NPS."""
    return ("checkout",) * kiosks if asks_kinds else TOUCHPOINTS


def kind_survey(kind: str) -> Survey:
    """The survey of a demo touchpoint asking NPS or CES: the catalogs' question."""
    return Survey(kind=kind, questions={
        lang: strings(lang, "kiosk")[f"{kind}_question"] for lang in PREFERRED_ORDER})


def seed_kinds(storage: Storage, made: list[Profile], days: int, rng: random.Random,
               now: datetime) -> int:
    """An NPS kiosk at the exit and a CES kiosk at the service desk of each store in
    ``made``, with a year of their taps (no follow-ups) and that touchpoint's survey, so
    a kiosk enrolled there asks what the dashboard shows; returns taps stored."""
    stored = 0
    for base in made:
        for suffix, scale, share, place in KIND_KIOSKS:
            kiosk_id = f"{base.store_id}-{suffix}"
            storage.add_kiosk(kiosk_id, base.store_id, label="demo", touchpoint=place)
            profile = replace(base, kiosks=[kiosk_id], scale=scale, daily=base.daily * share)
            kind = kind_of(scale)
            version = storage.set_survey(base.store_id, kind_survey(kind), place).version
            rows: list[tuple] = []
            for days_ago in range(days - 1, -1, -1):
                day = base_day(profile, now, days_ago)
                for created, _kiosk, score, _reason, suppressed, lang in taps(
                    profile, day, days_ago, days, rng, now
                ):
                    rows.append((
                        new_rating_id(parse_utc(created), rng.getrandbits(74)), len(rows) + 1,
                        base.store_id, kiosk_id, score - 1 + LOWEST[kind], scale, created,
                        day.isoformat(), lang, None, int(suppressed), version, created, 0, kind,
                        None,
                    ))
            storage.bulk_insert(kiosk_id, rows)
            stored += len(rows)
            # Called in like the checkout's kiosks, or the fleet page lists a kiosk whose
            # taps fill the store page as "never connected".  Its own random numbers,
            # so the chain's taps stay as they were.
            _set_status(storage, kiosk_id, rows, now, random.Random(kiosk_id), silent=False,
                        offline=False, fast_clock=False,
                        health=_health(kiosk_id, base.timezone, None))
    return stored


def base_day(profile: Profile, now: datetime, days_ago: int) -> date:
    """The store-local date ``days_ago`` days before ``now``."""
    return now.astimezone(zone(profile.timezone)).date() - timedelta(days=days_ago)


def _seed_store(storage: Storage, profile: Profile, index: int, days: int,
                rng: random.Random, now: datetime) -> int:
    """Generate and insert one store's history; set its kiosks' status. Returns taps stored."""
    tz = zone(profile.timezone)
    today = now.astimezone(tz).date()
    silent = profile.kiosks[-1] if index == 2 else None
    lossy = profile.kiosks[0] if index == 1 else None
    fast_clock = profile.kiosks[0] if index == 3 else None
    per_kiosk: dict[str, list[tuple]] = {k: [] for k in profile.kiosks}
    silent_since = format_utc(now - timedelta(days=3))
    suspect_since = format_utc(now - timedelta(days=2))
    for days_ago in range(days - 1, -1, -1):
        day = today - timedelta(days=days_ago)
        for created, kiosk_index, score, reason, suppressed, lang in taps(
            profile, day, days_ago, days, rng, now
        ):
            kiosk_id = profile.kiosks[kiosk_index]
            if kiosk_id == silent and created >= silent_since:
                continue
            rows = per_kiosk[kiosk_id]
            suspect = int(kiosk_id == fast_clock and created >= suspect_since)
            rows.append((
                # 128 bits drawn as before, so the same seed gives the same chain
                new_rating_id(parse_utc(created), rng.getrandbits(128) >> 54), len(rows) + 1,
                profile.store_id, kiosk_id, score, profile.scale, created, day.isoformat(),
                lang, reason, int(suppressed), 1, created, suspect,
            ))
    stored = 0
    for kiosk_id, rows in per_kiosk.items():
        if kiosk_id == lossy and len(rows) > 100:
            middle = len(rows) * 8 // 10
            rows = rows[:middle] + rows[middle + 7:]
        storage.bulk_insert(kiosk_id, rows)
        stored += len(rows)
        _set_status(storage, kiosk_id, rows, now, rng, silent=kiosk_id == silent,
                    offline=index == 4 and kiosk_id == profile.kiosks[0],
                    fast_clock=kiosk_id == fast_clock,
                    health=_health(kiosk_id, profile.timezone, HEALTH_STORIES.get(index)
                                   if kiosk_id == profile.kiosks[0] else None))
    return stored


#: Store index -> what is wrong with its first kiosk's health (besides the stories above).
HEALTH_STORIES = {5: "disk", 6: "config", 7: "old"}


def _health(kiosk_id: str, timezone: str, story: str | None) -> dict[str, Any]:
    """A demo kiosk's self-report of its health: a random of its own (the chain's
    random numbers stay as they were), and the store's story."""
    rng = random.Random(kiosk_id)
    total = 29_000_000_000
    health = {
        "uptime_s": rng.randint(3_600, 40 * 86_400), "disk_total_bytes": total,
        "disk_free_bytes": rng.randint(12_000_000_000, 24_000_000_000),
        "database_bytes": rng.randint(2_000_000, 9_000_000), "rejected": 0,
        "timezone": timezone, "app_version": __version__,
    }
    if story == "disk":
        health["disk_free_bytes"] = 310_000_000
    elif story == "config":
        health.update(rejected=4, timezone="Europe/Stockholm")
    elif story == "old":
        health["app_version"] = "0.0.9"  # older than any release
    return health


def _set_status(storage: Storage, kiosk_id: str, rows: list[tuple], now: datetime,
                rng: random.Random, silent: bool, offline: bool, fast_clock: bool,
                health: dict[str, Any]) -> None:
    """Give a demo kiosk the last-seen time and self-report a real one would have."""
    last_seq = rows[-1][1] if rows else 0
    pending, oldest = 0, None
    if silent:
        seen = now - timedelta(days=3, minutes=rng.randint(0, 50))
    elif offline:
        seen = now - timedelta(hours=2, minutes=10)
        pending, oldest = 23, format_utc(now - timedelta(hours=2))
        last_seq += pending
    else:
        seen = now - timedelta(seconds=rng.randint(5, 240))
    offset = -421.5 if fast_clock else round(rng.uniform(-2, 2), 3)
    status = KioskStatus(pending=pending, oldest_pending_at=oldest, last_seq=last_seq, **health)
    storage.record_contact(kiosk_id, format_utc(seen), offset, status)
