"""A small chain with every awkward case an export or a recount meets: zones with
half-hour and 45-minute offsets, DST changes in and out (one stepping 30 minutes, one at
:30 UTC), formula-like cells, names with commas, quotes and line breaks, empty optional
fields, and a time not in the wire's shape."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sync.clock import format_utc, local_date, zone
from sync.collector import Storage

#: Store id -> (display name, zone): a Nordic store, half-hour and 45-minute zones, a
#: zone whose DST step is 30 minutes, one that steps at :30 UTC, and a hostile name.
STORES = {
    "hki": ('Kamppi, "Iso" Café', "Europe/Helsinki"),
    "del": ("Delhi\nMain", "Asia/Kolkata"),
    "ktm": ("Kathmandu", "Asia/Kathmandu"),
    "lhi": ("Lord Howe", "Australia/Lord_Howe"),
    "stj": ("St. John's", "America/St_Johns"),
    "bad": ("=HYPERLINK(\"http://x\")", "Europe/Stockholm"),
}
#: Moments around which taps cluster: DST changes of the zones above, and a quiet day.
AROUND = ("2025-03-30T01:00:00", "2025-10-26T01:00:00", "2025-03-09T05:30:00",
          "2025-04-05T15:00:00", "2025-10-04T15:30:00", "2025-06-10T12:00:00")
HOSTILE = ("=1+1", " @SUM(A1)", "-2", "+3", "\tx", "\uff1dcmd")


def mixed_rows(rng: random.Random) -> dict[str, list[tuple]]:
    """Rating rows (``ROW`` order) per kiosk: a few thousand, mostly ordinary."""
    per_kiosk: dict[str, list[tuple]] = {f"{store}-k": [] for store in STORES}
    for centre in AROUND:
        middle = datetime.fromisoformat(centre).replace(tzinfo=UTC)
        for _ in range(300):
            moment = middle + timedelta(seconds=rng.randint(-4 * 3600, 4 * 3600),
                                        milliseconds=rng.randint(0, 999))
            store = rng.choice([s for s in STORES if s != "bad"] * 20 + ["bad"])
            rows = per_kiosk[f"{store}-k"]
            created = format_utc(moment)
            reason = rng.choice([None, None, "queue", "", *(["=1+1"] if rng.random() < 0.01
                                                           else [])])
            rows.append((
                str(uuid.UUID(int=rng.getrandbits(128), version=4)), len(rows) + 1, store,
                f"{store}-k", rng.randint(1, 5), 5, created,
                local_date(moment, zone(STORES[store][1])), rng.choice(["fi", "sv-FI", "en"]),
                reason, int(rng.random() < 0.05), rng.choice([None, 1, 2]),
                created, int(rng.random() < 0.02),
            ))
    hki = per_kiosk["hki-k"]
    for text in HOSTILE:  # one page's worth of cells a spreadsheet could run
        row = list(hki[-1])
        row[0], row[1], row[9] = str(uuid.UUID(int=rng.getrandbits(128), version=4)), \
            len(hki) + 1, text
        hki.append(tuple(row))
    for created in ("2025-06-10T12:00:00Z", "2025-06-10T12:00:00.500+02:00"):  # not the wire's
        row = list(hki[-1])
        row[0], row[1], row[6] = str(uuid.UUID(int=rng.getrandbits(128), version=4)), \
            len(hki) + 1, created
        hki.append(tuple(row))
    return per_kiosk




def fill(storage: Storage, seed: int = 18) -> Storage:
    """Add the :data:`STORES` (a kiosk ``<store>-k`` each) and :func:`mixed_rows` to ``storage``."""
    for store, (name, tz) in STORES.items():
        storage.add_store(store, name, tz)
        storage.add_kiosk(f"{store}-k", store)
    for kiosk_id, rows in mixed_rows(random.Random(seed)).items():
        storage.bulk_insert(kiosk_id, rows)
    return storage


#: Reasons and times no ingest would let through, for the exports' byte checks: quotes,
#: commas, line breaks, a backslash, control characters, unicode, formula starts.
AWKWARD = ('a,b', 'say "hi"', "two\nlines", "cr\rhere", "back\\slash", "tab\tin", "\x01bell",
           "Ünïcødé ☺", "=cmd", "+1", "-1", "@x", "  =spaced", "")


def fill_awkward(storage: Storage, seed: int = 19) -> Storage:
    """:func:`fill`, then ratings of every question kind and follow-up, with the
    :data:`AWKWARD` reasons, empty survey versions, around Helsinki's DST days."""
    fill(storage, seed)
    rng = random.Random(seed * 7919)  # not fill's ids
    rows = []
    for number, (kind, scale, low) in enumerate([("csat", 5, 1), ("nps", 11, 0), ("ces", 7, 1)]
                                                * 60):
        moment = datetime.fromisoformat(AROUND[number % 2]).replace(tzinfo=UTC) \
            + timedelta(minutes=rng.randint(-300, 300), milliseconds=rng.randint(0, 999))
        created = format_utc(moment)
        rows.append((
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), number + 1, "hki", "hki-x",
            rng.randint(low, scale - 1 + low), scale, created,
            local_date(moment, zone("Europe/Helsinki")), "fi",
            AWKWARD[number % len(AWKWARD)] if number % 3 else None, number % 2,
            None if number % 4 else 3, created, 0, kind,
            [None, "skipped", "timeout"][number % 3],
        ))
    storage.add_kiosk("hki-x", "hki")
    storage.bulk_insert("hki-x", rows)
    return storage
