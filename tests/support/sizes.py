"""How big the reliability scenarios are: one place, two modes.

``HYMY_RELIABILITY=full`` (what ``make reliability`` sets) uses the sizes of
issue 7: 1 000 kiosk taps with kills, 200 kiosks for 60 s, a long fault run.
Anything else is the bounded CI mode that plain ``pytest`` runs, a few
minutes in all on a 2-core machine.  Every loop in the suite is bounded by
these counts *and* by a deadline, and talks to 127.0.0.1 only.

Figures (taps, kills, faults, latencies) go to the JSON file named by
``HYMY_RELIABILITY_FIGURES`` when it is set (``make reliability`` does), and
are printed either way; ``python -m tests.reliability.report FILE`` turns
them into the table of docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MODE = "full" if os.environ.get("HYMY_RELIABILITY", "").lower() == "full" else "ci"
FULL = MODE == "full"


@dataclass(frozen=True)
class Sizes:
    """Every knob of the suite, with the value for this mode."""

    #: Kiosk app crash: scripted taps in the real app, SIGKILLs at random moments.
    kiosk_taps: int
    kiosk_kills: int
    #: Collector crash: kiosks syncing while the collector is SIGKILLed.
    crash_kiosks: int
    crash_kills: int
    crash_seconds: float
    #: Network faults: kiosks syncing through the fault proxy.
    fault_kiosks: int
    fault_seconds: float
    #: Load: simulated kiosks posting batches concurrently.
    load_kiosks: int
    load_seconds: float
    #: Property-based and schema-based fuzzing.
    hypothesis_examples: int
    schemathesis_examples: int
    #: Backup while ingest runs.
    backup_seconds: float


#: Each knob's value in CI (``make test``) and in full mode (``make reliability``).
SIDE_BY_SIDE = {
    "kiosk_taps": (150, 1000), "kiosk_kills": (5, 25),
    "crash_kiosks": (3, 6), "crash_kills": (4, 20), "crash_seconds": (15, 120),
    "fault_kiosks": (3, 6), "fault_seconds": (20, 300),
    "load_kiosks": (50, 200), "load_seconds": (10, 60),
    "hypothesis_examples": (150, 2000), "schemathesis_examples": (15, 150),
    "backup_seconds": (4, 15),
}
SIZES = Sizes(**{name: pair[FULL] for name, pair in SIDE_BY_SIDE.items()})

_lock = threading.Lock()


def record(scenario: str, **figures: Any) -> None:
    """Print a scenario's figures and add them to ``$HYMY_RELIABILITY_FIGURES``."""
    line = ", ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\n[reliability:{MODE}] {scenario}: {line}")
    target = os.environ.get("HYMY_RELIABILITY_FIGURES")
    if not target:
        return
    path = Path(target)
    with _lock:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data["mode"] = MODE
        data["sizes"] = asdict(SIZES)
        data.setdefault("scenarios", {})[scenario] = figures
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values`` (nearest rank); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]
