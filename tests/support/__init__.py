"""Helpers shared by the tests: real collectors, kiosk stores, fault proxies,
PostgreSQL and Xvfb servers.  Test modules import from here, never from each other."""

import subprocess
from pathlib import Path
from typing import Any

#: The repository's top folder (docs/, assets/, the packages).
ROOT = Path(__file__).resolve().parents[2]


def stop_process(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM a server the tests started, and SIGKILL it if it does not go in time."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
