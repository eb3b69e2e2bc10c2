"""The benchmark runner still runs: a quick tap-path run prints its table (timings unchecked)."""

import subprocess
import sys

from tests.support import ROOT


def test_quick_tap_benchmark_prints_the_table(tmp_path):
    done = subprocess.run(
        [sys.executable, "tests/bench/run.py", "--quick", "--only", "tap",
         "--workdir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| figure" in done.stdout and "| met?" in done.stdout
    assert done.stdout.count("1 tap path") == 2


def test_unknown_benchmark_is_a_usage_error():
    done = subprocess.run([sys.executable, "tests/bench/run.py", "--only", "nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown benchmark 'nope'" in done.stderr
