"""``hymy-collector channel ...`` and ``notify test``, run as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.collector import free_port, run_cli
from tests.support.smtp import smtp_server
from tests.support.webhook import webhook_receiver


def notify_test(*args: str, smtp_url: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "HYMY_SMTP_URL": smtp_url}
    return subprocess.run([sys.executable, "-m", "sync.collector", "notify", "test", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_notify_test_sends_now_or_says_why_not():
    with smtp_server() as box:
        done = notify_test("manager@example.com", smtp_url=box.url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "sent a test message to manager@example.com (email)"
        assert box.wait(1)[0]["Subject"] == "Hymy: test message"
    dead = notify_test("manager@example.com", smtp_url=f"smtp://127.0.0.1:{free_port()}")
    assert dead.returncode == 1 and "Traceback" not in dead.stderr
    assert dead.stderr.startswith("Error: not sent: cannot reach the mail server smtp://127.0.0.1")
    assert len(dead.stderr.strip().splitlines()) == 1
    unset = notify_test("manager@example.com")
    assert unset.returncode == 1 and "set HYMY_SMTP_URL" in unset.stderr
    with webhook_receiver([404]) as hook:
        refused = notify_test(hook.url)
        assert refused.returncode == 1
        assert "webhook http://127.0.0.1:" in refused.stderr and "answered 404" in refused.stderr
        assert hook.requests[0].headers["x-hymy-signature"].startswith("sha256=")
    bad = notify_test("someone")
    assert bad.returncode == 1 and "neither an e-mail address nor a URL" in bad.stderr


def test_channels_are_added_subscribed_listed_and_removed(tmp_path):
    database = tmp_path / "c.db"
    run_cli(database, "store", "add", "hki-kamppi", "--name", "Kamppi",
            "--timezone", "Europe/Helsinki")
    added = run_cli(database, "channel", "add", "manager@example.com", "--owner", "Kamppi staff")
    assert added.stdout.startswith("Added channel 1 (email)")
    hook = run_cli(database, "channel", "add", "https://example.com/hooks/s3cr3t-path",
                   "--owner", "IT")
    assert hook.stdout.strip().startswith("whsec_") and "shown once" in hook.stderr
    assert run_cli(database, "channel", "subscribe", "1", "alert", "--store",
                   "hki-kamppi").stdout.strip() == "Channel 1 now gets alert for hki-kamppi"
    assert "already got" in run_cli(database, "channel", "subscribe", "1", "alert", "--store",
                                    "hki-kamppi").stdout
    run_cli(database, "channel", "subscribe", "2", "weekly")
    listed = json.loads(run_cli(database, "channel", "list", "--json").stdout)
    assert [(c["id"], c["kind"], c["owner"], c["target"], c["subscriptions"]) for c in listed] == [
        (1, "email", "Kamppi staff", "manager@example.com", ["alert:hki-kamppi"]),
        (2, "webhook", "IT", "https://example.com/…", ["weekly:*"])]
    assert "secret" not in listed[1] and "s3cr3t" not in run_cli(database, "channel",
                                                                   "list").stdout
    assert run_cli(database, "channel", "remove", "2").stdout.strip() == "Removed channel 2"
    assert "(removed " in run_cli(database, "channel", "list").stdout
    for args, said in [(("subscribe", "9", "alert"), "no channel with id 9"),
                       (("subscribe", "1", "alert", "--store", "nowhere"), "no store 'nowhere'"),
                       (("subscribe", "2", "alert"), "channel 2 was removed"),
                       (("add", "nonsense://x", "--owner", "IT"), "not a URL Apprise understands"),
                       (("add", "a@b.fi", "--owner", "IT", "--kind", "webhook"),
                        "is not a webhook target")]:
        done = run_cli(database, "channel", *args, check=False)
        assert done.returncode == 1 and said in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    gone = run_cli(database, "channel", "unsubscribe", "1", "alert", "--store", "hki-kamppi")
    assert gone.stdout.strip() == "Channel 1 no longer gets alert for hki-kamppi"
