"""The kiosk refuses unsafe configs, and says in one line why it cannot open its database.

Every test runs the real ``hymy-kiosk`` command.  ``run`` is pointed at a
database it cannot open, so it stops after its start-up checks without a
display; what it printed (and did to the config file) by then is what the
kiosk does at start.

The tests run as root in CI, and root ignores file modes.  To see "permission
denied" they run the command as root *without* the capabilities that bypass
them (``setpriv --bounding-set -dac_override,...``), on files owned by
``nobody``: the kernel then checks the mode bits as for anyone else.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import ASSETS
from kiosk.pin import hash_pin
from kiosk.safety import EXAMPLE_PIN_HASH, is_loopback
from tests.support import ROOT

BIN = Path(sys.executable).parent / "hymy-kiosk"
PIN_HASH = hash_pin("2468", iterations=1000)
#: Root minus the capabilities that skip file-mode checks (read, write, chmod).
WITHOUT_OVERRIDES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
                     "--"]


def can_drop_overrides() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


needs_root = pytest.mark.skipif(
    not can_drop_overrides(), reason="needs root and setpriv (to own files as nobody)")


def write_config(path: Path, database: Path | str, *, mode: int = 0o600, **values) -> Path:
    data = {"store_id": "s1", "kiosk_id": "k1", "timezone": "Europe/Helsinki",
            "staff_pin_hash": PIN_HASH, "database": str(database),
            **{k: v for k, v in values.items() if k != "sync"}}
    lines = [f"{key} = {json.dumps(value)}" for key, value in data.items()]
    if "sync" in values:
        lines += ["[sync]"] + [f"{k} = {json.dumps(v)}" for k, v in values["sync"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def kiosk(*args: str, tmp_path: Path, prefix: list[str] | None = None
          ) -> subprocess.CompletedProcess:
    env = {**os.environ, "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1"}
    env.pop("DISPLAY", None)
    return subprocess.run([*(prefix or []), str(BIN), *args], capture_output=True, text=True,
                          timeout=120, env=env)


def unopenable(tmp_path: Path) -> Path:
    """A database path whose parent is a regular file: no kiosk can open it."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    return blocker / "kiosk.db"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the example PIN ------------------------------------------------------------


def test_the_example_hash_is_the_example_configs():
    example = tomllib.loads((ASSETS / "kiosk.example.toml").read_text(encoding="utf-8"))
    assert example["staff_pin_hash"] == EXAMPLE_PIN_HASH


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_the_example_pin_hash_is_refused(tmp_path, command):
    config = write_config(tmp_path / "kiosk.toml", unopenable(tmp_path),
                          staff_pin_hash=EXAMPLE_PIN_HASH)
    result = kiosk(command, "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("hymy-kiosk: config error: staff_pin_hash: ")
    assert "1234" in line and "hymy-kiosk hash-pin" in line


def test_the_example_config_as_shipped_is_refused(tmp_path):
    config = tmp_path / "kiosk.toml"
    shutil.copy(ASSETS / "kiosk.example.toml", config)
    result = kiosk("check-config", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 2 and "hymy-kiosk hash-pin" in result.stderr


# -- a config file that gives the token away ------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_check_config_makes_a_readable_token_file_owner_only(tmp_path, mode):
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db", mode=mode,
                          sync={"url": "https://hymy.example", "token": "secret-token"})
    result = kiosk("check-config", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert mode_of(config) == mode & 0o700
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"hymy-kiosk: repaired: {config} holds the sync token")
    assert f"mode {mode:04o}" in line and f"changed it to {mode & 0o700:04o}" in line
    assert "secret-token" not in result.stdout + result.stderr


def test_the_kiosk_repairs_a_readable_token_file_at_start(tmp_path):
    config = write_config(tmp_path / "kiosk.toml", unopenable(tmp_path), mode=0o644,
                          sync={"url": "https://hymy.example", "token": "secret-token"})
    result = kiosk("run", "--config", str(config), tmp_path=tmp_path)
    assert mode_of(config) == 0o600
    assert "hymy-kiosk: repaired:" in result.stderr.splitlines()[0]
    assert result.returncode == 1  # then the database stops it


def test_a_config_without_a_token_keeps_its_mode(tmp_path):
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db", mode=0o644)
    result = kiosk("check-config", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert mode_of(config) == 0o644


@needs_root
@pytest.mark.parametrize("command", ["check-config", "run"])
def test_a_token_file_that_cannot_be_repaired_is_refused(tmp_path, command):
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db", mode=0o644,
                          sync={"url": "https://hymy.example", "token": "secret-token"})
    os.chown(config, pwd.getpwnam("nobody").pw_uid, -1)  # someone else's file
    result = kiosk(command, "--config", str(config), tmp_path=tmp_path,
                   prefix=WITHOUT_OVERRIDES)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"hymy-kiosk: config error: {config} holds the sync token")
    assert "mode 0644" in line and f"sudo chmod 600 {config}" in line
    assert mode_of(config) == 0o644
    assert not (tmp_path / "kiosk.db").exists()


# -- plain HTTP -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://hymy.example.com", "http://10.0.0.5:8080/",
                                 "HTTP://collector"])
def test_plain_http_to_another_host_is_a_warning(tmp_path, url):
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db",
                          sync={"url": url, "token": "t"})
    result = kiosk("check-config", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("hymy-kiosk: warning: sync.url ") and "https://" in line


def test_the_kiosk_warns_about_plain_http_at_start(tmp_path):
    config = write_config(tmp_path / "kiosk.toml", unopenable(tmp_path),
                          sync={"url": "http://hymy.example.com", "token": "t"})
    result = kiosk("run", "--config", str(config), tmp_path=tmp_path)
    assert result.stderr.startswith("hymy-kiosk: warning: sync.url 'http://hymy.example.com'")


@pytest.mark.parametrize("url", ["https://hymy.example.com", "http://127.0.0.1:8080",
                                 "http://localhost:8080/", "http://[::1]:8080", ""])
def test_https_and_loopback_raise_no_warning(tmp_path, url):
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk.db",
                          sync={"url": url, "token": "t"})
    result = kiosk("check-config", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 0 and result.stderr == ""


def test_loopback_names():
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("LOCALHOST")
    assert not is_loopback("10.0.0.1") and not is_loopback("localhost.example.com")


# -- a database that cannot be opened ------------------------------------------


def assert_one_line(result: subprocess.CompletedProcess, database: Path, cause: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"hymy-kiosk: cannot open the kiosk database {database}: {cause}"], \
        result.stderr[-3000:]
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_database_under_a_regular_file_is_one_line(tmp_path, command):
    database = unopenable(tmp_path)
    config = write_config(tmp_path / "kiosk.toml", database,
                          sync={"url": "http://127.0.0.1:9", "token": "t"})
    result = kiosk(command, "--config", str(config), tmp_path=tmp_path)
    assert_one_line(result, database, f"{database.parent} is not a directory")


def test_a_missing_directory_that_cannot_be_made_is_one_line(tmp_path):
    database = unopenable(tmp_path).parent / "deeper" / "kiosk.db"
    config = write_config(tmp_path / "kiosk.toml", database)
    result = kiosk("run", "--config", str(config), tmp_path=tmp_path)
    assert_one_line(result, database, f"{tmp_path / 'blocker'} is not a directory")


def test_a_database_that_is_a_directory_is_one_line(tmp_path):
    database = tmp_path / "kiosk.db"
    database.mkdir()
    config = write_config(tmp_path / "kiosk.toml", database)
    result = kiosk("run", "--config", str(config), tmp_path=tmp_path)
    assert_one_line(result, database, "it is a directory")


@needs_root
@pytest.mark.parametrize("command", ["run", "sync"])
def test_permission_denied_on_the_directory_is_one_line(tmp_path, command):
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    os.chown(folder, pwd.getpwnam("nobody").pw_uid, -1)  # not writable for us
    database = folder / "kiosk.db"
    config = write_config(tmp_path / "kiosk.toml", database,
                          sync={"url": "http://127.0.0.1:9", "token": "t"})
    result = kiosk(command, "--config", str(config), tmp_path=tmp_path,
                   prefix=WITHOUT_OVERRIDES)
    assert_one_line(result, database, f"permission denied (directory {folder})")


@needs_root
def test_permission_denied_on_the_file_is_one_line(tmp_path):
    database = tmp_path / "kiosk.db"
    database.write_bytes(b"")
    database.chmod(0o600)
    os.chown(database, pwd.getpwnam("nobody").pw_uid, -1)
    config = write_config(tmp_path / "kiosk.toml", database)
    result = kiosk("run", "--config", str(config), tmp_path=tmp_path,
                   prefix=WITHOUT_OVERRIDES)
    assert_one_line(result, database, "permission denied")


def test_the_guide_documents_the_checks_and_file_modes():
    guide = (ROOT / "docs" / "kiosk.md").read_text()
    assert "### Safety checks and file modes" in guide
    for words in ("0600", "hymy-kiosk hash-pin", "plain `http://`",
                  "cannot open the kiosk database"):
        assert words in guide, words
