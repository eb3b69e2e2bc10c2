"""The rate rule in the evaluator, on a real database (both backends).

Two stores with the same four ordinary weeks: 24 taps an hour from 08 to 20
Helsinki time, one unhappy an hour, except 14-16 when every other tap is
unhappy (a daily rush of grumpy shoppers).  Today one store gets 8 extra
unhappy taps within 15 minutes at 10:40; the evaluator, run every 15 minutes
of the day, opens one ``rate`` alert for it and none for the other, whose
afternoon wave is what it usually is at that local hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.clock import format_utc
from sync.collector import alertlog, alerts
from sync.collector.settings import Settings
from sync.collector.web.alertpages import alert_facts
from sync.collector.web.i18n import Translator
from sync.collector.web.views import alert_views, rule_texts
from tests.support.alerting import insert_taps

TZ = ZoneInfo("Europe/Helsinki")
TODAY = datetime(2026, 11, 25, tzinfo=TZ)  # a Wednesday; four ordinary weeks before it
RATE = Settings(alert_rules="rate")
HOUR = timedelta(hours=1)


def ordinary_day(day: datetime, until: datetime | None = None) -> list[tuple[datetime, int]]:
    """A usual day's ``(instant, score)`` taps: two every 5 minutes from 08 to 20 local;
    one unhappy (score 1) an hour, every other one from 14 to 16."""
    taps = []
    for slot in range(12 * 12):
        at = day.replace(hour=8) + timedelta(minutes=5 * slot + 1)
        if until is not None and at > until:
            break
        rush = 14 <= at.hour < 16
        first = 1 if rush or slot % 12 == 6 else 5
        taps += [(at, first), (at + timedelta(minutes=2), 4)]
    return taps


def test_a_run_of_unhappy_taps_opens_a_rate_alert_and_the_usual_rush_does_not(chain_storage):
    storage = chain_storage({"hit": "Europe/Helsinki", "calm": "Europe/Helsinki"})
    history = [tap for back in range(28, 0, -1)
               for tap in ordinary_day(TODAY - timedelta(days=back))]
    end = TODAY.replace(hour=19, minute=45)
    incident = [(TODAY.replace(hour=10, minute=40) + timedelta(minutes=2 * i), 1)
                for i in range(8)]
    for store in ("hit", "calm"):
        today = ordinary_day(TODAY, end) + (incident if store == "hit" else [])
        insert_taps(storage, store, f"{store}-k", history + sorted(today))
    opened = []
    tick = TODAY.replace(hour=9)
    while tick <= end:
        opened += [(row["kind"], row["store_id"], tick.strftime("%H:%M"))
                   for row in alertlog.evaluate(storage, RATE, tick.astimezone(UTC))]
        tick += timedelta(minutes=15)
    assert opened == [("rate", "hit", "11:00")]
    [row] = storage.db.query("SELECT state, data FROM alerts")
    assert row["state"] == "closed"  # the incident passed; the afternoon rush opened nothing


def test_a_stores_own_rate_alpha_decides_whether_the_same_run_alerts(chain_storage):
    """Migration 021: the same six unhappy taps in ten minutes at two stores with the same
    weeks behind them; the store with a looser alpha of its own gets a rate alert, the one
    with a stricter alpha does not (the chain's default would alert at both)."""
    storage = chain_storage({"loose": "Europe/Helsinki", "strict": "Europe/Helsinki"})
    storage.set_alerting("loose", alerts.settled(rate_alpha=1e-3))
    storage.set_alerting("strict", alerts.settled(rate_alpha=1e-8))
    history = [tap for back in range(28, 0, -1)
               for tap in ordinary_day(TODAY - timedelta(days=back))]
    end = TODAY.replace(hour=12)
    incident = [(TODAY.replace(hour=10, minute=40) + timedelta(minutes=2 * i), 1)
                for i in range(6)]
    for store in ("loose", "strict"):
        insert_taps(storage, store, f"{store}-k",
                    history + sorted(ordinary_day(TODAY, end) + incident))
    opened = set()
    tick = TODAY.replace(hour=10)
    while tick <= end:
        opened |= {(row["kind"], row["store_id"])
                   for row in alertlog.evaluate(storage, RATE, tick.astimezone(UTC))}
        tick += timedelta(minutes=5)
    assert opened == {("rate", "loose")}


def test_the_office_page_words_for_a_rate_alert_and_its_rule(chain_storage):
    storage = chain_storage({"s1": "Europe/Helsinki"})
    end = TODAY.replace(hour=11).astimezone(UTC)
    stored = {"id": 3, "kind": "rate", "store_id": "s1", "store_name": "Kamppi", "severity": 2,
              "state": "open",
              "data": {"at": format_utc(end), "start": format_utc(end - timedelta(minutes=19)),
                       "end": format_utc(end), "responses": 14, "unhappy": 9,
                       "expected": 0.5, "level": 1.0, "tail": 1e-10, "minutes": 20}}
    t = Translator("en")
    view = alert_views(t, [stored], storage, "2026-11-25", "2026-11-25", alerts.Rules())[0]
    assert view["title"] == "9 unhappy in the last 20\u00a0min"
    assert view["detail"] == "Usually about 0.5 at this hour and traffic."
    assert view["href"] == "/stores/s1/days/2026-11-25"
    [rule] = [text for text in rule_texts(t, alerts.Rules()) if "usually gets" in text]
    assert "in the last 10 to 30 minutes" in rule and "1 in 1,111" in rule
    assert "1/1\u00a0111" in " ".join(rule_texts(Translator("fi"), alerts.Rules()))


def test_a_rate_alerts_page_gives_its_numbers_in_words(chain_storage):
    end = TODAY.replace(hour=11).astimezone(UTC)
    stored = {"kind": "rate", "opened_at": format_utc(end), "closed_at": None,
              "data": {"at": format_utc(end), "start": format_utc(end - timedelta(minutes=19)),
                       "end": format_utc(end), "responses": 14, "unhappy": 9,
                       "expected": 0.54, "level": 1.0, "tail": 1 / 4000, "minutes": 20}}
    facts = dict(alert_facts(Translator("en"), stored, alerts.Rules(),
                             ZoneInfo("Europe/Helsinki")))
    assert (facts["Unhappy"], facts["Usually"], facts["By chance"]) == (
        "9", "0.5", "about 1 in 4,000")


SATURDAY = datetime(2026, 11, 28, tzinfo=TZ)  # four weeks of Mondays to Sundays before it


def crowded_week_day(day: datetime) -> list[tuple[datetime, int]]:
    """60 taps an hour from 08 to 20 local, evenly; unhappy (score 1) are 2 an hour on
    Sunday to Thursday and half of all taps on a Friday or Saturday (the week's crowds)."""
    crowded = day.weekday() in (4, 5)
    return [(day.replace(hour=8) + timedelta(minutes=slot, seconds=30),
             1 if (slot % 2 == 0 if crowded else slot % 30 == 0) else 4)
            for slot in range(12 * 60)]


def test_an_ordinary_grumpy_saturday_opens_no_rate_alert(chain_storage):
    """The usual rates keep Fridays and Saturdays apart: a store whose weekend crowds are
    always this unhappy is not an incident every Saturday (pooled with the quiet days,
    a Saturday half hour had 15 unhappy where 4 were usual)."""
    storage = chain_storage({"s1": "Europe/Helsinki"})
    days = [SATURDAY - timedelta(days=back) for back in range(28, -1, -1)]
    insert_taps(storage, "s1", "s1-k", [tap for day in days for tap in crowded_week_day(day)])
    opened = []
    tick = SATURDAY.replace(hour=10)
    while tick <= SATURDAY.replace(hour=20):
        opened += alertlog.evaluate(storage, RATE, tick.astimezone(UTC))
        tick += timedelta(minutes=30)
    assert opened == []


def test_an_hours_unhappy_share_leans_on_its_day_types_and_keeps_its_taps():
    """Four weeks give an hour a dozen unhappy taps a week: its share is weighed against
    its day type's (3 000 taps), so a steadily grumpy hour still expects more unhappy
    taps than a calm one, and every hour keeps its usual taps."""
    rows = [("s", 0, 10, 20, 400, 16), ("s", 0, 14, 200, 400, 16), ("s", 1, 10, 90, 300, 8)]
    usual = alerts.usual_rates(rows, {"s": TZ})["s"]
    assert usual.unhappy[0, 10] == pytest.approx(400 / 16 * (20 + 3000 * 220 / 800) / 3400)
    assert usual.unhappy[0, 14] > 1.2 * usual.unhappy[0, 10]
    assert usual.unhappy[1, 10] == pytest.approx(90 / 8)  # the only hour of its day type
    for slot, taps, days in (((0, 10), 400, 16), ((0, 14), 400, 16), ((1, 10), 300, 8)):
        assert usual.unhappy[slot] + usual.others[slot] == pytest.approx(taps / days)
    friday = datetime(2026, 11, 27, 10, tzinfo=TZ)
    assert usual.expected(friday, friday + timedelta(minutes=30)) == pytest.approx(90 / 16)


def test_a_store_without_a_friday_in_its_baseline_expects_its_weekdays_rates_on_one():
    usual = alerts.usual_rates([("s", 0, 10, 20, 400, 16)], {"s": TZ})["s"]
    friday = datetime(2026, 11, 27, 10, tzinfo=TZ)
    monday = datetime(2026, 11, 23, 10, tzinfo=TZ)
    assert usual.expected(friday, friday + HOUR) == usual.expected(monday, monday + HOUR) > 0


def test_usual_rates_are_read_once_a_period_and_again_after_a_late_upload_ages(chain_storage):
    """The evaluator keeps each store's usual rates for a baseline period (reading them is
    most of a turn at 2 000 stores): the same as read afresh; a new day's period is read
    anew; a late upload into the baseline counts once the kept rates are ``ttl_s`` old."""
    storage = chain_storage({"s": "Europe/Helsinki"})
    zones = {"s": TZ}
    weeks = [tap for back in range(28, 1, -1) for tap in ordinary_day(TODAY - timedelta(days=back))]
    insert_taps(storage, "s", "s-k", weeks)
    period = alerts.baseline_period(TODAY.date().isoformat())
    fresh = lambda days: alerts.usual_rates(storage.usual_hours(["s"], *days), zones)["s"]  # noqa: E731
    cache = alerts.UsualCache(ttl_s=3600)
    kept = cache.rates(storage, ["s"], period, zones)["s"]
    assert kept == fresh(period)
    # Yesterday's taps arrive late (a kiosk back online): every tap of the day unhappy.
    late = [(at, 1) for at, _ in ordinary_day(TODAY - timedelta(days=1))]
    insert_taps(storage, "s", "s-k2", late)
    assert fresh(period) != kept
    assert cache.rates(storage, ["s"], period, zones)["s"] == kept  # kept, within ttl_s
    cache.ttl_s = 0
    assert cache.rates(storage, ["s"], period, zones)["s"] == fresh(period)
    cache.ttl_s = 3600
    insert_taps(storage, "s", "s-k3", late)  # more late taps: kept again within ttl_s
    assert cache.rates(storage, ["s"], period, zones)["s"] != fresh(period)
    tomorrow = alerts.baseline_period((TODAY + timedelta(days=1)).date().isoformat())
    assert cache.rates(storage, ["s"], tomorrow, zones)["s"] == fresh(tomorrow)
    assert cache.rates(storage, ["t"], period, zones) == {}  # no taps: no usual rates
