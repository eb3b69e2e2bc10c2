"""The kiosk verifies the collector's TLS certificate; a private CA goes in ``sync.ca_bundle``.

A real HTTPS collector on loopback (uvicorn with a certificate from a test
CA made with the ``openssl`` command line) and a kiosk database with taps:

- without ``ca_bundle`` the kiosk refuses the unknown CA: ``Uploader`` raises
  a retryable "TLS error" that says to set ``sync.ca_bundle``, and
  ``hymy-kiosk sync`` exits 1 with that one line (no traceback);
- with ``ca_bundle`` everything is delivered;
- a certificate for another host name is refused even with the right CA;
- a ``ca_bundle`` that does not exist is a clear error, not a crash;
- over HTTPS the collector sends ``Strict-Transport-Security``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sync.uploader import Fatal, Retryable, Uploader
from tests.support.collector import free_port, run_cli
from tests.support.sync import BIN, open_store, record_taps, write_config

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def issue(folder: Path, name: str, san: str) -> None:
    """A server key and certificate ``name.pem`` for ``san``, signed by the test CA."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", "/CN=hymy-collector", cwd=folder)
    (folder / f"{name}.ext").write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-sha256",
            "-extfile", f"{name}.ext", cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=Hymy test CA", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            cwd=folder)
    issue(folder, "server", "IP:127.0.0.1,DNS:localhost")
    issue(folder, "other", "DNS:other.example")
    return folder


class TlsCollector:
    """``uvicorn sync.collector.app:create_app`` with a certificate, store s1, kiosk k1."""

    def __init__(self, folder: Path, pki: Path, cert: str):
        folder.mkdir()
        self.database = folder / "collector.db"
        run_cli(self.database, "store", "add", "s1", "--name", "TLS", "--timezone",
                "Europe/Helsinki")
        self.token = run_cli(self.database, "kiosk", "add", "k1", "--store", "s1").stdout.strip()
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.log = (folder / "collector.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "sync.collector.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port),
             "--ssl-keyfile", str(pki / f"{cert}.key"), "--ssl-certfile", str(pki / f"{cert}.pem")],
            env={**os.environ, "HYMY_DATABASE": str(self.database)},
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (folder / "collector.log").read_text()
            try:  # listening is enough: each test does its own verified handshake
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("TLS collector did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def tls_collector(pki, tmp_path_factory):
    server = TlsCollector(tmp_path_factory.mktemp("tls") / "good", pki, "server")
    yield server
    server.stop()


def kiosk_db(tmp_path: Path, taps: int = 30) -> Path:
    path = tmp_path / "kiosk.db"
    record_taps(path, taps, seed=9, days=0.5)
    return path


def test_unknown_ca_is_refused_with_a_hint(tls_collector, tmp_path):
    store = open_store(kiosk_db(tmp_path))
    try:
        with pytest.raises(Retryable) as raised:
            Uploader(store, tls_collector.url, tls_collector.token).push_once()
        assert store.stats()["pending"] == 30
    finally:
        store.close()
    message = str(raised.value)
    assert "TLS error" in message and "certificate" in message.lower()
    assert "sync.ca_bundle" in message


def test_kiosk_cli_with_and_without_ca_bundle(tls_collector, pki, tmp_path):
    db = kiosk_db(tmp_path)
    plain = write_config(tmp_path / "plain.toml", db, tls_collector.url, tls_collector.token)
    command = [str(BIN / "hymy-kiosk"), "sync", "--no-progress", "--retry-for", "0",
               "--config"]
    refused = subprocess.run([*command, str(plain)], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr
    assert "certificate" in refused.stderr.lower() and "sync.ca_bundle" in refused.stderr
    trusted = write_config(tmp_path / "trusted.toml", db, tls_collector.url, tls_collector.token,
                           ca_bundle=str(pki / "ca.pem"))
    done = subprocess.run([*command, str(trusted)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 left pending" in done.stdout


def test_certificate_for_another_name_is_refused_even_with_the_ca(pki, tmp_path):
    server = TlsCollector(tmp_path / "other", pki, "other")
    try:
        store = open_store(kiosk_db(tmp_path))
        try:
            with pytest.raises(Retryable) as raised:
                Uploader(store, server.url, server.token, ca_bundle=str(pki / "ca.pem")
                         ).push_once()
            assert store.stats()["pending"] == 30
        finally:
            store.close()
    finally:
        server.stop()
    assert "TLS error" in str(raised.value)
    assert "127.0.0.1" in str(raised.value) or "match" in str(raised.value).lower()


def test_missing_ca_bundle_file_is_a_clear_error(tls_collector, tmp_path):
    store = open_store(kiosk_db(tmp_path, taps=3))
    try:
        with pytest.raises(Fatal) as raised:
            Uploader(store, tls_collector.url, tls_collector.token,
                     ca_bundle=str(tmp_path / "nope.pem")).push_once()
    finally:
        store.close()
    assert "sync.ca_bundle" in str(raised.value) and "nope.pem" in str(raised.value)


def test_https_answers_carry_hsts(tls_collector, pki):
    answer = requests.get(tls_collector.url + "/healthz", verify=str(pki / "ca.pem"), timeout=10)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
