"""Run Hymy's benchmarks and print one table: benchmark | figure | baseline | ratio | target | met?

Usage (from the repository root; ``make bench`` runs the full set)::

    python tests/bench/run.py                 # the issue's sizes: ~20-30 min, ~6 GB of temp files
    python tests/bench/run.py --quick         # small sizes, under 2 minutes
    python tests/bench/run.py --only tap,ingest
    python tests/bench/run.py --cache /var/tmp/hymy-bench   # keep generated data between runs

Every figure has a baseline measured in the same run (interleaved with it
where both are short), so the ratio means something on a shared, noisy
machine.  A ratio is the figure's cost divided by the baseline's: time over
time, or for a rate, the baseline's rate over the figure's; below 1 is
faster than the baseline.  docs/performance.md explains each benchmark and
records a full run.  ``--markdown`` prints the table as Markdown.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Options, Row, machine  # noqa: E402

#: Benchmark names for --only, in the order of the issue, and their modules.
BENCHMARKS = {
    "tap": "tap_path",
    "ui": "ui_frames",
    "ingest": "collector_ingest",
    "drain": "backlog_drain",
    "reads": "reads",
    "memory": "memory",
    "export": "exports",
    "alerts": "alert_rules",
    "check": "check",
}
COLUMNS = ("benchmark", "figure", "value", "baseline", "ratio", "target", "met?")


def cells(row: Row) -> list[str]:
    met = {True: "yes", False: "NO", None: "-"}[row.met]
    return [row.benchmark, row.figure, row.value, row.baseline, row.ratio or "-",
            row.target or "-", met]


def table(rows: list[Row], markdown: bool = False) -> str:
    """The rows as an aligned text table (or a Markdown one), notes underneath."""
    lines = [list(COLUMNS)] + [cells(row) for row in rows]
    if markdown:
        out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(COLUMNS)]
        out += ["| " + " | ".join(line) + " |" for line in lines[1:]]
    else:
        widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
        out = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
               for line in lines]
        out.insert(1, "-+-".join("-" * width for width in widths))
    notes = [f"- {row.benchmark}, {row.figure}: {row.note}" for row in rows if row.note]
    return "\n".join(out + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(BENCHMARKS)}")
    parser.add_argument("--cache", type=Path, help="folder to keep generated databases in")
    parser.add_argument("--postgres", help="an existing postgresql:// server URL for benchmark 3"
                        " (default: start a throwaway one when PostgreSQL is installed)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where temporary databases go (default: the temp folder)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    options = Options(quick=args.quick, cache=args.cache, postgres=args.postgres,
                      workdir=args.workdir)
    facts = machine()
    print(f"Hymy benchmarks, {'quick' if args.quick else 'full'} run, "
          f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {facts['cpus']} x {facts['cpu']}, {facts['memory']} RAM, "
          f"Python {facts['python']}, SQLite {facts['sqlite']}, load {facts['load']}")
    rows: list[Row] = []
    failed = False
    for name in chosen:
        began = time.perf_counter()
        print(f"running {name}...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(BENCHMARKS[name])
            found = module.run(options)
        except Exception as error:  # one broken benchmark must not hide the others
            traceback.print_exc()
            found = [Row(name, "failed", "-", "-", note=f"{type(error).__name__}: {error}")]
            failed = True
        rows += found
        print(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print()
    print(table(rows, args.markdown))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
