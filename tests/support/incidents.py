"""Planted incidents in the demo chain, and how well an alert rule finds them.

Shared by the alert benchmark (``tests/bench/alert_rules.py``, the full
100-store run behind docs/alerts.md) and its seeded small test
(``tests/collector/test_alert_rules_planted.py``).

- :func:`demo_taps` draws each store's counted taps with the demo's own
  generator (:func:`sync.collector.demo.taps`: its stores, sizes, hours,
  busy-hour dips and trends), in memory: the rules are pure functions, so no
  database is needed to measure them.
- :func:`plant` adds incidents: ``size`` extra unhappy taps spread evenly
  over ``minutes`` at a store, starting at a store-local opening hour.
- :func:`evaluate` runs a rule as the collector's evaluator would: every
  ``TICK`` (5 minutes) over the whole period, on the taps it would have seen
  by then.  Consecutive alerting ticks are one alert (it stays open while
  its condition holds).
- :func:`score` counts incidents found (an alert open from the incident's
  start to ``FOUND_WITHIN`` after its end), the delay from its start to the
  first such tick (0 when an alert was open already), and every alert that
  opened outside an incident as a false alert.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sync.clock import zone
from sync.collector import alerts, demo
from sync.metrics import upper_tail

TICK = timedelta(minutes=5)
#: An alert this long after an incident's last planted tap still counts as finding it.
FOUND_WITHIN = timedelta(hours=1)
#: The demo's stores open at 08 (10 on Sundays); incidents start between these local hours.
INCIDENT_HOURS = (10, 19)
Taps = list[tuple[datetime, bool]]
#: A rule as the evaluator calls it: (a store's taps so far, now, its baseline p0) -> alerting?
Rule = Callable[[Sequence[tuple[datetime, bool]], datetime, float | None], bool]


@dataclass(frozen=True)
class Incident:
    """``size`` extra unhappy taps at a store, evenly over ``minutes`` from ``start``."""

    store_id: str
    start: datetime
    minutes: int
    size: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Episode:
    """One alert: the tick it opened and the last tick its condition still held."""

    opened: datetime
    closed: datetime


@dataclass
class Chain:
    """The demo chain's counted taps per store, and the period the evaluator runs over."""

    taps: dict[str, Taps]
    zones: dict[str, str]
    start: datetime  # first evaluated instant (the days before are the baseline)
    end: datetime

    def days(self) -> float:
        """Evaluated store-days."""
        return len(self.taps) * (self.end - self.start).total_seconds() / 86400


@dataclass
class Score:
    """How one rule did: incidents found (and how fast), false alerts."""

    incidents: int
    found: int = 0
    found_30: int = 0
    delays_min: list[float] = field(default_factory=list)
    false_alerts: int = 0
    alerts: int = 0
    store_days: float = 0.0

    def false_per_store_day(self) -> float:
        return self.false_alerts / self.store_days if self.store_days else 0.0


def demo_taps(stores: int, baseline_days: int, days: int, seed: int, now: datetime) -> Chain:
    """The demo chain's counted taps, ``baseline_days`` + ``days`` days up to ``now``."""
    rng = random.Random(seed)
    total = baseline_days + days
    taps: dict[str, Taps] = {}
    zones: dict[str, str] = {}
    for profile in demo.profiles(stores, rng):
        today = now.astimezone(zone(profile.timezone)).date()
        mine: Taps = []
        for days_ago in range(total - 1, -1, -1):
            day = today - timedelta(days=days_ago)
            for created, _kiosk, score, _reason, suppressed, _lang in demo.taps(
                profile, day, days_ago, total, rng, now
            ):
                if not suppressed:
                    mine.append((datetime.fromisoformat(created),
                                 alerts.is_unhappy(score, profile.scale)))
        mine.sort()
        taps[profile.store_id] = mine
        zones[profile.store_id] = profile.timezone
    start = now - timedelta(days=days)
    return Chain(taps, zones, start, now)


def plant(chain: Chain, sizes: Sequence[tuple[int, int]], per_store: int,
          seed: int) -> list[Incident]:
    """Plant ``per_store`` incidents at each store (``(size, minutes)`` taken in turn), on
    different days of the evaluated period at store-local opening hours; returns them."""
    rng = random.Random(seed)
    planted: list[Incident] = []
    whole_days = int((chain.end - chain.start).total_seconds() // 86400) - 1
    turn = 0
    for store_id, taps in chain.taps.items():
        tz = zone(chain.zones[store_id])
        first_day = chain.start.astimezone(tz).date() + timedelta(days=1)
        for offset in rng.sample(range(whole_days), min(per_store, whole_days)):
            size, minutes = sizes[turn % len(sizes)]
            turn += 1
            day = first_day + timedelta(days=offset)
            local = datetime(day.year, day.month, day.day, rng.randrange(*INCIDENT_HOURS),
                             rng.randrange(60), tzinfo=tz)
            incident = Incident(store_id, local.astimezone(UTC), minutes, size)
            step = timedelta(minutes=minutes) / max(size - 1, 1)
            taps.extend((min(incident.start + i * step, incident.end), True)
                        for i in range(size))
            planted.append(incident)
        taps.sort()
    return planted


def baselines(chain: Chain, days: int = 28) -> dict[str, dict[date, float | None]]:
    """Each store's unhappy share over the ``days`` UTC dates before each evaluated date."""
    out: dict[str, dict[date, float | None]] = {}
    for store_id, taps in chain.taps.items():
        per_day: dict[date, list[int]] = {}
        for moment, unhappy in taps:
            tally = per_day.setdefault(moment.date(), [0, 0])
            tally[0] += unhappy
            tally[1] += 1
        shares: dict[date, float | None] = {}
        day = chain.start.date()
        while day <= chain.end.date():
            window = [per_day.get(day - timedelta(days=back), [0, 0]) for back in
                      range(1, days + 1)]
            responses = sum(n for _, n in window)
            shares[day] = sum(u for u, _ in window) / responses if responses else None
            day += timedelta(days=1)
        out[store_id] = shares
    return out


def evaluate(chain: Chain, rule: Rule | Mapping[str, Rule],
             p0: dict[str, dict[date, float | None]]) -> dict[str, list[Episode]]:
    """Each store's alerts: runs of consecutive ticks at which ``rule`` holds (one rule
    for all stores, or each store's own, as :func:`rate_rules` gives them).

    A tick with no tap in the last hour is skipped (no rule alerts on nothing).
    """
    found: dict[str, list[Episode]] = {}
    for store_id, taps in chain.taps.items():
        store_rule = rule[store_id] if isinstance(rule, Mapping) else rule
        mine: list[Episode] = []
        was = False
        tick = chain.start
        while tick <= chain.end:
            now = bool(alerts.recent(taps, tick, 60)) and store_rule(
                taps, tick, p0[store_id].get(tick.date()))
            if now and was:
                mine[-1] = Episode(mine[-1].opened, tick)
            elif now:
                mine.append(Episode(tick, tick))
            was = now
            tick += TICK
        found[store_id] = mine
    return found


def score(episodes: dict[str, list[Episode]], planted: Sequence[Incident],
          chain: Chain) -> Score:
    """Found, found within 30 minutes, delays, and alerts opened outside every incident."""
    result = Score(incidents=len(planted), store_days=chain.days())
    by_store: dict[str, list[Incident]] = {}
    for incident in planted:
        by_store.setdefault(incident.store_id, []).append(incident)
    for store_id, mine in episodes.items():
        result.alerts += len(mine)
        spans = by_store.get(store_id, [])
        for episode in mine:
            if not any(i.start <= episode.opened <= i.end + FOUND_WITHIN for i in spans):
                result.false_alerts += 1
    for incident in planted:
        alerting = first_alerting(episodes[incident.store_id], incident)
        if alerting is not None:
            delay = (alerting - incident.start).total_seconds() / 60
            result.found += 1
            result.found_30 += delay <= 30
            result.delays_min.append(delay)
    return result


def first_alerting(episodes: list[Episode], incident: Incident) -> datetime | None:
    """The first tick from the incident's start (to an hour after its end) with an alert
    open, opened then or still open from before; None if none."""
    last = incident.end + FOUND_WITHIN
    for episode in episodes:
        if episode.closed >= incident.start and episode.opened <= last:
            return max(episode.opened, incident.start)
    return None


def funnel_rule(rules: alerts.Rules = alerts.Rules()) -> Rule:
    """The funnel rule as the evaluator applies it at one tick."""
    def rule(taps: Sequence[tuple[datetime, bool]], now: datetime, p0: float | None) -> bool:
        return alerts.above_funnel(alerts.recent(taps, now, rules.funnel_minutes), p0,
                                   rules) is not None
    return rule


def usual_rates(chain: Chain) -> dict[str, alerts.Usual]:
    """Each store's usual rates from the baseline days before ``chain.start``, tallied as
    the hourly roll-ups hold them (store-local date and hour) by day type, through the
    product's :func:`~sync.collector.alerts.usual_rates`."""
    rows = []
    for store_id, taps in chain.taps.items():
        tz = zone(chain.zones[store_id])
        tally: dict[tuple[int, int], list[int]] = {}
        dates: dict[int, set[date]] = {}
        for moment, unhappy in taps:
            if moment >= chain.start:
                break
            local = moment.astimezone(tz)
            kind = alerts.day_type(local)
            counts = tally.setdefault((kind, local.hour), [0, 0])
            counts[0] += unhappy
            counts[1] += 1
            dates.setdefault(kind, set()).add(local.date())
        rows += [(store_id, kind, hour, bad, n, len(dates[kind]))
                 for (kind, hour), (bad, n) in tally.items()]
    return alerts.usual_rates(rows, {store_id: zone(name)
                                     for store_id, name in chain.zones.items()})


def rate_rules(chain: Chain, rules: alerts.Rules = alerts.Rules()) -> dict[str, Rule]:
    """The rate rule as the evaluator applies it at one tick, per store (each against its
    own usual rates of the baseline days)."""
    usual = usual_rates(chain)

    def rule_for(mine: alerts.Usual | None) -> Rule:
        def rule(taps: Sequence[tuple[datetime, bool]], now: datetime, p0: float | None) -> bool:
            return alerts.above_rate(taps, now, mine, p0, rules) is not None
        return rule
    return {store_id: rule_for(usual.get(store_id)) for store_id in chain.taps}


def burst_rule(rules: alerts.Rules = alerts.Rules()) -> Rule:
    """HappyOrNot's rule at one tick: a qualifying window ended since the last tick."""
    def rule(taps: Sequence[tuple[datetime, bool]], now: datetime, p0: float | None) -> bool:
        return alerts.burst_since(taps, now - TICK, now, rules) is not None
    return rule



# -- candidate rules measured beside the shipped ones (issue #15; docs/alerts.md "Rules") --

def cusum_steps(p0: float, odds_ratio: float) -> tuple[float, float]:
    """The Bernoulli CUSUM's log-likelihood ratio for one unhappy and one other response.

    Steiner, Cook, Farewell and Treasure (Biostatistics 1, 2000): against the
    usual share ``p0`` the alternative multiplies the odds of an unhappy face
    by ``odds_ratio``, ``p1 = R p0 / (1 - p0 + R p0)``; the steps are
    ``ln(p1 / p0)`` and ``ln((1 - p1) / (1 - p0))``.  At ``p0 = 0.15``, ``R = 3``:
    +0.84 and -0.26.
    """
    scale = 1 - p0 + odds_ratio * p0
    return math.log(odds_ratio / scale), -math.log(scale)


def cusum_alerting(taps: Sequence[tuple[datetime, bool]], p0: float, odds_ratio: float,
                   threshold: float) -> bool:
    """True when the CUSUM over ``taps`` (from zero at the first) reached ``threshold`` in
    its current run and has not fallen back to zero since: the alert stays open until
    ordinary taps have cancelled the evidence."""
    up, down = cusum_steps(min(max(p0, 0.02), 0.5), odds_ratio)
    score = peak = 0.0
    for _, unhappy in taps:
        score = max(0.0, score + (up if unhappy else down))
        peak = max(peak, score) if score else 0.0
    return peak >= threshold


def cusum_rule(odds_ratio: float = 3.0, threshold: float = 5.0, hours: float = 4.0) -> Rule:
    """A per-store Bernoulli CUSUM, recomputed at each tick over the last ``hours`` of taps
    (as a stateless evaluator would)."""
    def rule(taps: Sequence[tuple[datetime, bool]], now: datetime, p0: float | None) -> bool:
        return p0 is not None and cusum_alerting(alerts.recent(taps, now, hours * 60), p0,
                                                 odds_ratio, threshold)
    return rule


def scan_rule(windows: Sequence[int] = (10, 15, 20, 30), alpha: float = 10 ** -2.75,
              min_responses: int = 5) -> Rule:
    """Several windows ending now; alert when any has an exact binomial tail below
    ``alpha`` (a smaller alpha than one window's: the multiplicity correction)."""
    def rule(taps: Sequence[tuple[datetime, bool]], now: datetime, p0: float | None) -> bool:
        if p0 is None:
            return False
        for minutes in windows:
            window = alerts.recent(taps, now, minutes)
            unhappy = sum(1 for _, u in window if u)
            if len(window) >= min_responses and upper_tail(unhappy, len(window), p0) < alpha:
                return True
        return False
    return rule


def strength(chain: Chain, planted: Sequence[Incident],
             p0: dict[str, dict[date, float | None]]) -> list[float]:
    """Each incident's exact binomial tail: how often its window (start to end, planted and
    normal taps) would be at least as unhappy by chance at the store's usual share."""
    out = []
    for incident in planted:
        taps = [u for t, u in chain.taps[incident.store_id]
                if incident.start <= t <= incident.end]
        share = p0[incident.store_id].get(incident.start.date()) or 0.0
        out.append(upper_tail(sum(taps), len(taps), share))
    return out
