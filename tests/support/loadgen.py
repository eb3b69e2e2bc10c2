"""Simulated kiosks for the load test: many threads posting small batches, timed.

    python tests/support/loadgen.py --url http://127.0.0.1:8080 --tokens tokens.json \
        --seconds 60 --processes 4

``tokens.json`` maps ``"store_id/kiosk_id"`` to that kiosk's token.  Each
kiosk is a thread with its own ``requests.Session``: it sends a batch of 1-10
fresh ratings built with ``sync.wire.make_batch``/``encode`` (gzip, as the
uploader does), checks the answer counts them all ``accepted``, then waits a
random 0.5-1.5 s, until the deadline or ``--max-requests``.  A 429/503 is
back-pressure, not an error: the kiosk waits ``Retry-After`` and re-sends the
same batch.  Threads are spread over ``--processes`` processes so the load
generator does not share one GIL.  Only loopback URLs are accepted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from sync.clock import format_utc, local_date, utc_now, zone  # noqa: E402
from sync.wire import encode, make_batch  # noqa: E402

TIMEZONE = "Europe/Helsinki"


@dataclass
class Outcome:
    """What one process's kiosks did."""

    latencies: list[float] = field(default_factory=list)
    ratings_sent: int = 0
    requests: int = 0
    backpressure: int = 0
    errors: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit(f"loadgen: {url} is not a loopback address; refusing")


def kiosk_loop(url: str, key: str, token: str, deadline: float, max_requests: int,
               seed: int, outcome: Outcome, lock: threading.Lock) -> None:
    store_id, kiosk_id = key.split("/")
    rng = random.Random(seed)
    session = requests.Session()
    headers_base = {"Authorization": f"Bearer {token}"}
    tz = zone(TIMEZONE)
    seq = 0
    sent = 0
    time.sleep(rng.uniform(0, 1.0))  # kiosks do not start in lockstep
    while time.monotonic() < deadline and sent < max_requests:
        rows = []
        for _ in range(rng.randint(1, 10)):
            seq += 1
            now = utc_now()
            rows.append({
                "id": str(uuid.uuid4()), "seq": seq, "store_id": store_id,
                "kiosk_id": kiosk_id, "score": rng.randint(1, 5), "scale": 5,
                "created_at": format_utc(now), "local_date": local_date(now, tz),
                "lang": "fi", "reason": None, "suppressed": 0, "survey_version": 0,
            })
        status = {"app_version": "load", "pending": len(rows), "oldest_pending_at": None,
                  "last_seq": seq}
        data, headers = encode(make_batch(rows, status))
        for _attempt in range(20):
            sent += 1
            started = time.perf_counter()
            try:
                answer = session.post(url + "/api/v1/batches", data=data, timeout=(5, 60),
                                      headers={**headers_base, **headers})
            except requests.RequestException as error:
                with lock:
                    outcome.errors.append(f"{kiosk_id}: {type(error).__name__}: {error}")
                return
            elapsed = time.perf_counter() - started
            with lock:
                outcome.requests += 1
                outcome.statuses[answer.status_code] += 1
            if answer.status_code in (429, 503):
                with lock:
                    outcome.backpressure += 1
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            if answer.status_code != 200:
                with lock:
                    outcome.errors.append(f"{kiosk_id}: HTTP {answer.status_code} {answer.text}")
                return
            result = answer.json()
            if result["accepted"] != len(rows):
                with lock:
                    outcome.errors.append(f"{kiosk_id}: not all accepted: {result}")
                return
            with lock:
                outcome.latencies.append(elapsed)
                outcome.ratings_sent += len(rows)
            break
        else:
            with lock:
                outcome.errors.append(f"{kiosk_id}: 20 attempts refused")
            return
        time.sleep(rng.uniform(0.5, 1.5))


def run_process(url: str, tokens: dict[str, str], seconds: float, max_requests: int,
                seed: int) -> dict[str, Any]:
    """Run one thread per kiosk in this process; a JSON-ready outcome."""
    check_loopback(url)
    outcome, lock = Outcome(), threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=kiosk_loop, daemon=True,
                         args=(url, key, token, deadline, max_requests, seed * 10_000 + i,
                               outcome, lock))
        for i, (key, token) in enumerate(sorted(tokens.items()))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        outcome.errors.append(f"{hung} kiosk threads still running after the deadline")
    return {"latencies": outcome.latencies, "ratings_sent": outcome.ratings_sent,
            "requests": outcome.requests, "backpressure": outcome.backpressure,
            "errors": outcome.errors, "statuses": dict(outcome.statuses)}


def run(url: str, tokens: dict[str, str], seconds: float, processes: int = 4,
        max_requests: int | None = None) -> dict[str, Any]:
    """Spread the kiosks over ``processes`` processes and merge their outcomes."""
    check_loopback(url)
    max_requests = max_requests or int(seconds * 4) + 10
    keys = sorted(tokens)
    parts = [{key: tokens[key] for key in keys[i::processes]} for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(run_process, [(url, part, seconds, max_requests, i)
                                             for i, part in enumerate(parts) if part])
    merged: dict[str, Any] = {"latencies": [], "ratings_sent": 0, "requests": 0,
                              "backpressure": 0, "errors": [], "statuses": Counter()}
    for result in results:
        for key in ("latencies", "errors"):
            merged[key] += result[key]
        for key in ("ratings_sent", "requests", "backpressure"):
            merged[key] += result[key]
        merged["statuses"].update({int(k): v for k, v in result["statuses"].items()})
    merged["statuses"] = dict(merged["statuses"])
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", required=True, type=Path)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    result = run(args.url, json.loads(args.tokens.read_text()), args.seconds, args.processes)
    latencies = sorted(result.pop("latencies"))
    result["p50_ms"] = round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None
    result["p99_ms"] = round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
