"""Shared fixtures.

Database backends (``backend``, ``postgres_server``, ``new_database``,
``collector_database``): every fixture that runs a collector asks for
``backend``, so each test using it runs twice, ``[sqlite]`` and
``[postgresql]``.  The PostgreSQL runs (marked ``postgres``; ``-m "not
postgres"`` leaves them out) share one private server started by the tests
(``pgserver.py``) with a fresh database per collector.

Sync (``sync_*``): a real collector process on loopback with store s1 and
kiosk k1 registered (not yet started: call ``.start()``), and a kiosk database
with 10 000 realistic taps, built once per session and copied per test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.sync import CollectorProcess, copy_store, record_taps

SYNC_BACKLOG = 10_000
BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


# -- Database backends ----------------------------------------------------------


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``: the collector backend under test."""
    return request.param


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL server for the session (initdb into a temporary folder).

    Skips, saying what to install, only when the server binaries are missing.
    """
    from tests.support import pgserver as pgserver

    try:
        server = pgserver.start()
    except pgserver.Unavailable as missing:
        pytest.skip(str(missing))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def new_database(backend: str, request: pytest.FixtureRequest) -> Callable[[Path], str]:
    """A factory: ``new_database(folder)`` is a fresh, empty database of the backend
    under test, as a ``--database`` value (a file in ``folder``, or a new
    PostgreSQL database's URL)."""
    if backend == "sqlite":
        return lambda folder: str(folder / "collector.db")
    server = request.getfixturevalue("postgres_server")
    return lambda folder: server.create_database()


@pytest.fixture
def collector_database(new_database: Callable[[Path], str], tmp_path: Path) -> str:
    """A fresh, empty collector database of the backend under test."""
    return new_database(tmp_path)


# -- Sync ------------------------------------------------------------------------


@pytest.fixture
def sync_collector(tmp_path: Path, new_database: Callable[[Path], str]):
    """A collector set up but not started; stopped (SIGTERM) after the test."""
    workdir = tmp_path / "collector"
    workdir.mkdir()
    collector = CollectorProcess(workdir, new_database(workdir))
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def sync_backlog_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kiosk database with SYNC_BACKLOG unsynced taps, built once."""
    path = tmp_path_factory.mktemp("backlog") / "kiosk.db"
    record_taps(path, SYNC_BACKLOG)
    return path


@pytest.fixture
def sync_backlog(sync_backlog_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the 10 000-tap kiosk database for this test."""
    return copy_store(sync_backlog_template, tmp_path / "kiosk" / "kiosk.db")


# -- Kiosk UI (``xvfb_display``) ---------------------------------------------


@pytest.fixture(scope="session")
def xvfb_display():
    """A private Xvfb server (1920x1080x24, GLX) for the real kiosk window; yields DISPLAY.

    Xvfb picks a free display number itself (``-displayfd``), so parallel
    sessions never collide.  Skips when Xvfb or xdotool is missing
    (``make test`` installs them via .ci/system-deps).
    """
    import shutil

    from tests.support.xvfb import running_xvfb

    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install xvfb xdotool)")
    with running_xvfb() as display:
        yield display


# -- Dashboard (``dashboard_*``, ``browser_*``) ---------------------------------


def _dashboard_cli(database: Path, *args: str) -> str:
    """Run ``hymy-collector`` on ``database``; its stdout, stripped."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sync.collector", *args, "--database", str(database)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _dashboard_tiny_store(database: Path, url: str) -> dict:
    """Add store 'tiny' (3 ratings today, too few to rank) through the CLI and the ingest API."""
    import uuid

    import requests

    from sync.clock import format_utc, local_date, utc_now, zone
    from sync.wire import encode, make_batch

    _dashboard_cli(database, "store", "add", "tiny", "--name", "Tiny Kiosk Corner",
                   "--timezone", "Europe/Helsinki")
    kiosk_token = _dashboard_cli(database, "kiosk", "add", "tiny-1", "--store", "tiny")
    now = utc_now()
    rows = [
        {"id": str(uuid.uuid4()), "seq": seq, "store_id": "tiny", "kiosk_id": "tiny-1",
         "score": score, "scale": 5, "created_at": format_utc(now),
         "local_date": local_date(now, zone("Europe/Helsinki")), "lang": "fi",
         "reason": None, "suppressed": False, "survey_version": 0}
        for seq, score in enumerate((5, 4, 2), start=1)
    ]
    data, headers = encode(make_batch(rows))
    answer = requests.post(f"{url}/api/v1/batches", data=data, timeout=10,
                           headers={"Authorization": f"Bearer {kiosk_token}", **headers})
    assert answer.status_code == 200, answer.text
    return {"store_id": "tiny", "token": _dashboard_cli(
        database, "token", "add", "--role", "staff", "--store", "tiny")}


@pytest.fixture(scope="session")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory, new_database):
    """A real collector on loopback with 4 demo stores x 60 days plus a tiny store.

    Yields ``{"url", "tokens", "database"}``; ``tokens`` has ``office``,
    ``admin``, ``staff`` (``{"store_id", "token"}``) and ``tiny_staff``.
    """
    from tests.support.browser import running_collector, seed_demo

    database = new_database(tmp_path_factory.mktemp("dashboard"))
    demo = seed_demo(database, stores=4, days=60)
    with running_collector(database) as url:
        tokens = dict(demo["tokens"])
        tokens["tiny_staff"] = _dashboard_tiny_store(database, url)
        yield {"url": url, "tokens": tokens, "database": database}


@pytest.fixture(scope="session")
def browser_chromium():
    """Debian's Chromium, headless, driven by Playwright (skips when either is missing)."""
    import shutil

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser_chromium):
    """A fresh browser context (no cookies) at desktop size; closed after the test."""
    context = browser_chromium.new_context(viewport={"width": 1440, "height": 900},
                                           locale="fi-FI")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# -- Collector (``collector_*``) ------------------------------------------------


@pytest.fixture(scope="session")
def collector_server(tmp_path_factory: pytest.TempPathFactory, new_database):
    """One real ``python -m sync.collector serve`` on loopback for the collector tests,
    per backend.

    Yields a :class:`tests.support.collector.Collector` (``url``, ``database``,
    ``admin_token``, ``office_token``, ``request()``, ``new_store()``, ``cli()``).
    """
    from tests.support.collector import Collector

    workdir = tmp_path_factory.mktemp("collector")
    collector = Collector(workdir, new_database(workdir))
    # The auth matrix sends an unknown token to every API route within a minute: more
    # than the default throttle allows (the throttle has its own tests).
    collector.start(env={"HYMY_AUTH_FAILURES_PER_MINUTE": "1000"})
    yield collector
    collector.stop()


@pytest.fixture
def collector_store(collector_server):
    """A fresh store (Europe/Helsinki) with one kiosk and a staff token on the shared server."""
    return collector_server.new_store()


# -- Clock -----------------------------------------------------------------------


@pytest.fixture
def kathmandu_os_clock(monkeypatch: pytest.MonkeyPatch):
    """The operating system's local time zone is Asia/Kathmandu (+05:45) for the test,
    so code that uses the machine's zone where it means UTC gives itself away."""
    import time

    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
