"""Helpers shared by the tests: real collectors, kiosk stores, fault proxies,
PostgreSQL and Xvfb servers.  Test modules import from here, never from each other."""

import contextlib
import os
import signal
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


def stop_group(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGKILL every process of the group a test started with ``start_new_session=True``.

    Killing only the one process leaves its children (a demo's collector) running
    after a failed test; the group holds them even once their parent is gone.
    """
    with contextlib.suppress(ProcessLookupError):  # the whole group has ended already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout)


def copy_of_the_clone(target: Path) -> Path:
    """The tracked files as they are in the working tree: what a fresh clone holds,
    without a stale build/ or egg-info of this checkout."""
    import shutil

    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target
