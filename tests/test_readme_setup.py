"""README.md's "Setting up a real store" block, run word for word, end to end.

The block is taken from README.md at test time, so a README that stops
working fails here.  It runs in bash as one script, on one machine, as the
README says it may, with only these rewrites (each must apply, or the test
fails and names it):

- ``/etc/hymy`` and ``/var/lib/hymy`` become folders of a scratch directory;
- ``SERVER`` becomes ``127.0.0.1`` and port 8080 a free port;
- the example code ``K7QM-4TXD`` becomes the code ``kiosk add`` printed;
- ``sudo`` is left out when the test runs as root without sudo (CI);
- what the test must observe is kept: the office token and the code are
  saved to files, the collector's and the kiosk's process ids too, and the
  script waits for the collector's port before enrolling, as a person would
  wait for ``serve`` to start.

``~`` is a scratch home and the clone is a copy of the tracked files, so the
two ``pip install`` lines really build and install Hymy into a new
virtualenv.  Then the kiosk's window (full screen under Xvfb) gets a tap with
xdotool, and the tap must show in the store's daily figures, read over the
API with the office token the block created.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from tests.support import ROOT, copy_of_the_clone
from tests.support.collector import free_port
from tests.support.xvfb import running_xvfb

pytestmark = [pytest.mark.ui, pytest.mark.timeout(900)]

PIN = "2580"
STORE = "hki-kamppi"
EXAMPLE_CODE = "K7QM-4TXD"


def readme_block() -> list[str]:
    """The bash lines of the README's set-up section, comments dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Setting up a real store", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md's set-up section has no ```bash block"
    lines = []
    for line in block.group(1).splitlines():
        command = re.sub(r"\s+#\s.*$", "", line).rstrip()
        if command and not command.startswith("#"):
            lines.append(command)
    return lines


def rewrite(line: str, old: str, new: str, used: set[str]) -> str:
    if old in line:
        used.add(old)
    return line.replace(old, new)


def script(lines: list[str], scratch: Path, port: int) -> str:
    """The README's lines as the test runs them (the rewrites of the docstring)."""
    used: set[str] = set()
    out = ["set -euo pipefail"]
    no_sudo = os.geteuid() == 0 and shutil.which("sudo") is None
    for line in lines:
        for old, new in (("/etc/hymy", f"{scratch}/etc/hymy"),
                         ("/var/lib/hymy", f"{scratch}/var/lib/hymy"),
                         ("http://SERVER:8080", f"http://127.0.0.1:{port}"),
                         ("--port 8080", f"--port {port}"),
                         (EXAMPLE_CODE, '"$CODE"')):
            line = rewrite(line, old, new, used)
        if no_sudo and line.startswith("sudo "):
            line = line[len("sudo "):]
        if "hymy-collector token add --role office" in line:
            line += f' | tee "{scratch}/office-token"'
            used.add("office token")
        if "hymy-collector kiosk add" in line:
            out += [line + f' 2> "{scratch}/kiosk-add.err"', f'cat "{scratch}/kiosk-add.err" >&2',
                    f"CODE=$(grep -oE '[A-Z0-9]{{4}}-[A-Z0-9]{{4}}' \"{scratch}/kiosk-add.err\""
                    " | head -n 1)"]
            used.add("code")
            continue
        if line.startswith("hymy-collector serve") and line.endswith("&"):
            out += [line, f'echo $! > "{scratch}/collector.pid"',
                    f"until (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; do sleep 0.2; done"]
            used.add("serve")
            continue
        if line.startswith("hymy-kiosk --config"):
            out += [line + " &", f'echo $! > "{scratch}/kiosk.pid"']
            used.add("kiosk")
            continue
        out.append(line)
    expected = {"/etc/hymy", "/var/lib/hymy", "http://SERVER:8080", "--port 8080", EXAMPLE_CODE,
                "office token", "code", "serve", "kiosk"}
    assert used == expected, f"README block no longer has: {sorted(expected - used)}"
    return "\n".join(out) + "\n"


def wait_for(check, what: str, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; log:\n{log.read_text(errors='replace')[-3000:]}")


def kiosk_status(status_path: Path) -> dict:
    try:
        return json.loads(status_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def tap_a_face(status_path: Path, display: str, score: int, log: Path) -> None:
    """Tap face ``score`` where it is drawn once the layout has settled (two status
    reports in a row place it alike), and again should the app not take the tap."""
    for _ in range(3):
        seen: dict = {}

        def settled(seen: dict = seen) -> tuple[int, int] | None:
            status = kiosk_status(status_path)
            spot = status.get("targets", {}).get(f"face-{score}")
            ready = (status.get("screen") == "rating" and spot and spot == seen.get("spot")
                     and status.get("time") != seen.get("time"))
            seen.update(spot=spot, time=status.get("time"))
            return (spot["x"], spot["y"]) if ready else None

        x, y = wait_for(settled, "the rating screen", 120, log)
        before = kiosk_status(status_path).get("last_tap")
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True,
                       env={**os.environ, "DISPLAY": display}, timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if kiosk_status(status_path).get("last_tap") not in (None, before):
                return
            time.sleep(0.2)
    pytest.fail(f"the kiosk took no tap; log:\n{log.read_text(errors='replace')[-3000:]}")


def today_responses(port: int, token: str) -> int:
    day = date.today().isoformat()  # the collector's default span ends on the store's today
    answer = requests.get(f"http://127.0.0.1:{port}/api/v1/stores/{STORE}/daily",
                          params={"from": day}, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return sum(row["responses"] for row in answer.json()["days"])


def kill(pid_file: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_the_readme_set_up_block_runs_and_a_tap_reaches_the_daily_figures(tmp_path):
    scratch = tmp_path
    clone = copy_of_the_clone(scratch / "clone")
    (scratch / "home").mkdir()
    port = free_port()
    log = scratch / "setup.log"
    with running_xvfb(screen="1280x800x24") as display:
        env = {
            "PATH": os.environ["PATH"], "HOME": str(scratch / "home"), "LANG": "C.UTF-8",
            "USER": os.environ.get("USER") or "root", "DISPLAY": display,
            "KIVY_HOME": str(scratch / "kivy"), "KIVY_NO_ARGS": "1",
            "HYMY_KIOSK_TEST_STATUS": str(scratch / "status.json"),
        }
        for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
            if name in os.environ:
                env[name] = os.environ[name]
        try:
            with log.open("wb") as out:
                # A session of its own: no terminal, so the PIN prompt reads stdin.
                run = subprocess.run(["bash", "-c", script(readme_block(), scratch, port)],
                                     cwd=clone, env=env, input=f"{PIN}\n{PIN}\n".encode(),
                                     stdout=out, stderr=subprocess.STDOUT, timeout=840,
                                     start_new_session=True)
            assert run.returncode == 0, log.read_text(errors="replace")[-4000:]
            config = scratch / "etc/hymy/kiosk.toml"
            assert config.stat().st_mode & 0o777 == 0o600
            assert 'store_id = "hki-kamppi"' in config.read_text(encoding="utf-8")
            token = (scratch / "office-token").read_text().strip()
            assert today_responses(port, token) == 0

            tap_a_face(scratch / "status.json", display, 5, log)
            assert (scratch / "var/lib/hymy/kiosk.db").exists()
            wait_for(lambda: today_responses(port, token) == 1, "the tap in the daily figures",
                     120, log)
        finally:
            kill(scratch / "kiosk.pid")
            kill(scratch / "collector.pid")
