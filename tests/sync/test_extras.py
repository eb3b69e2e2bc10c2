"""A partial install names the extra a command needs, in one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Hiding a module from this Python: ``sys.modules[name] = None`` makes importing it fail.
HIDE = "import sys; sys.modules.update(dict.fromkeys({names!r})); "


def run_hidden(names: list[str], code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HIDE.format(names=names) + code],
                          capture_output=True, text=True, timeout=60)


def test_kiosk_run_without_kivy_names_the_kiosk_extra(tmp_path):
    done = run_hidden(["kivy"], "from kiosk.cli import cli; "
                      f"cli(['run', '--config', {str(tmp_path / 'k.toml')!r}])")
    assert done.returncode == 1
    assert "pip install 'hymy[kiosk]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_kiosk_help_answers_both_flags(flag):
    done = subprocess.run([sys.executable, "-m", "kiosk", flag], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "hash-pin" in done.stdout and "check-config" in done.stdout


def test_collector_serve_without_fastapi_names_the_collector_extra():
    done = run_hidden(["fastapi", "uvicorn"], "from sync.collector.cli import cli; cli(['serve'])")
    assert done.returncode == 1
    assert "pip install 'hymy[collector]'" in done.stderr and "fastapi" in done.stderr
    assert "Traceback" not in done.stderr
