"""A private Xvfb server for the real kiosk window, shared by the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import time
from collections.abc import Iterator, Sequence

from tests.support import stop_process


@contextlib.contextmanager
def running_xvfb(prefix: Sequence[str] = (), screen: str = "1920x1080x24") -> Iterator[str]:
    """Start Xvfb (``screen``: WxHxDEPTH, GLX) on a display it picks itself; yields ``:N``.

    ``-displayfd`` lets Xvfb choose a free display, so parallel runs never
    collide.  ``prefix`` wraps the command (e.g. ``taskset -c 0``).  No window
    manager runs on it (see :func:`running_window_manager`).
    """
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [*prefix, "Xvfb", "-displayfd", str(write_end), "-screen", "0", screen,
         "-nolisten", "tcp", "+extension", "GLX"],
        pass_fds=[write_end], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    # Xvfb writes "N\n" when it is ready, maybe in two writes: read the whole line,
    # and keep the pipe open until the end (a closed pipe would SIGPIPE the server).
    answer = b""
    deadline = time.monotonic() + 30
    while not answer.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 1)
        if ready:
            chunk = os.read(read_end, 64)
            if not chunk:
                break
            answer += chunk
    try:
        if not answer.strip():
            raise RuntimeError("Xvfb did not start within 30 s")
        yield f":{answer.decode().strip()}"
    finally:
        os.close(read_end)
        stop_process(server)


@contextlib.contextmanager
def running_window_manager(display: str, command: Sequence[str] = ("openbox",)) -> Iterator[None]:
    """Run a window manager (openbox by default) on ``display`` until the block ends.

    Returns once the manager has announced itself on the root window
    (``_NET_SUPPORTING_WM_CHECK``, set by any EWMH window manager), so a window
    opened afterwards is managed from its first map.
    """
    env = {**os.environ, "DISPLAY": display}
    manager = subprocess.Popen([*command], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            check = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env,
                                   capture_output=True, text=True, timeout=30)
            if "window id" in check.stdout:
                break
            if manager.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start on {display}")
            time.sleep(0.1)
        yield
    finally:
        stop_process(manager)
