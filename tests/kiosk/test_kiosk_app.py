"""The kiosk app's logic in-process, without opening a window.

``kiosk.app`` imports Kivy but creates no window until ``App.run()``, so the
tap path, lockdown handlers, Kivy settings, survey and sync hook are checked
here directly; test_kiosk_ui.py drives the same app in a real window.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

# Kivy reads these at import: keep it out of ~/.kivy, off sys.argv and off the root logger.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="hymy-kivy-"))
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk import app as kiosk_app  # noqa: E402
from kiosk.config import parse  # noqa: E402
from kiosk.pin import hash_pin  # noqa: E402
from kiosk.store import Store, StoreError  # noqa: E402
from tests.support import ROOT

PIN_HASH = hash_pin("1234", iterations=1000)


def make_config(tmp_path: Path, **values):
    data = {"store_id": "s1", "kiosk_id": "k1", "timezone": "Europe/Helsinki",
            "staff_pin_hash": PIN_HASH, "database": str(tmp_path / "kiosk.db"),
            "response_interval": 0, **values}
    return parse(data, tmp_path / "kiosk.toml")


@pytest.fixture
def make_app(tmp_path: Path):
    opened = []

    def make(**values) -> kiosk_app.HymyApp:
        config = make_config(tmp_path, **values)
        app = kiosk_app.HymyApp(config)
        app.store = Store(config.database_path, config.store_id, config.kiosk_id,
                          config.timezone)
        app.manager = SimpleNamespace(current="rating")
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.store.close()


def rows(app) -> list[dict]:
    return list(app.store.db.query("SELECT * FROM ratings ORDER BY seq"))


def test_a_tap_is_stored_before_the_thank_you(make_app):
    app = make_app()
    tap = app.rate(4)
    assert app.manager.current == "thanks"
    [row] = rows(app)
    assert (row["id"], row["score"], row["scale"], row["lang"]) == (tap.id, 4, 5, "fi")
    assert app.tap_ms is not None and app.tap_ms < 1000


def test_a_low_face_asks_why_and_the_answer_joins_the_rating(make_app):
    app = make_app()
    app.set_language("en")
    app.rate(2)
    assert app.manager.current == "followup"
    app.answer_followup("queue")
    [row] = rows(app)
    assert (row["reason"], row["awaiting_reason"], row["lang"]) == ("queue", 0, "en")
    app.back_to_question()
    assert (app.lang, app.manager.current) == ("fi", "rating")
    assert app.strings["question"] == app.all_strings["fi"]["question"]


def test_follow_up_can_be_off(make_app):
    app = make_app(reasons=[])
    app.rate(1)
    assert app.manager.current == "thanks"


def test_a_suppressed_tap_is_thanked_but_not_asked(make_app):
    app = make_app(response_interval=60)
    app.rate(5)
    tap = app.rate(1)
    assert tap.suppressed and app.manager.current == "thanks"
    assert [r["suppressed"] for r in rows(app)] == [0, 1]


def test_a_failing_disk_still_thanks_and_tells_staff(make_app):
    app = make_app()

    class FullStore:
        def record_tap(self, *args, **kwargs):
            raise StoreError("local database write failed: database or disk is full")

        def close(self):
            pass

    real, app.store = app.store, FullStore()
    assert app.rate(5) is None
    assert app.manager.current == "thanks"
    assert "full" in app.store_error
    app.answer_followup("queue")  # no tap to attach to: nothing happens
    app.store = real
    app.rate(5)
    assert app.store_error == ""


def test_lockdown_handlers():
    app = kiosk_app.HymyApp.__new__(kiosk_app.HymyApp)
    assert app.swallow_key(None, 27, 9, None, [])  # Escape
    assert app.swallow_key(None, 282, 58, None, [])  # F1
    assert not app.swallow_key(None, 13, 36, None, [])
    assert app.refuse_close() is True
    assert app.refuse_close(source="keyboard") is True
    assert app.open_settings() is False


def test_kivy_is_configured_for_a_kiosk(tmp_path, monkeypatch):
    from kivy.config import Config as KivyConfig

    KivyConfig.set("input", "%(name)s", "probesysfs")
    kiosk_app.configure_kivy(make_config(tmp_path, fullscreen=True))
    assert KivyConfig.get("graphics", "fullscreen") == "auto"
    assert KivyConfig.get("graphics", "show_cursor") == "0"
    assert KivyConfig.get("graphics", "borderless") == "1"
    assert KivyConfig.get("kivy", "exit_on_escape") == "0"
    assert KivyConfig.get("graphics", "multisamples") == "0"  # 2.5x dearer with software GL
    assert "disable_multitouch" in KivyConfig.get("input", "mouse")
    assert not KivyConfig.has_option("input", "%(name)s")

    monkeypatch.setenv("HYMY_KIOSK_SIZE", "800x480")
    kiosk_app.configure_kivy(make_config(tmp_path, fullscreen=False))
    assert KivyConfig.get("graphics", "fullscreen") == "0"
    assert (KivyConfig.get("graphics", "width"), KivyConfig.get("graphics", "height")) == (
        "800", "480")


def graphics(*keys: str) -> tuple[str, ...]:
    from kivy.config import Config as KivyConfig

    return tuple(KivyConfig.get("graphics", key) for key in keys)


def test_full_screen_window_takes_the_displays_geometry(tmp_path, monkeypatch):
    # Issue 14: without a window manager nobody grants the full-screen request,
    # so the window itself must already be the display's size, at its origin.
    monkeypatch.setattr(kiosk_app, "display_bounds", lambda: (0, 0, 800, 480))
    kiosk_app.configure_kivy(make_config(tmp_path, fullscreen=True))
    assert graphics("fullscreen", "borderless", "position") == ("auto", "1", "custom")
    assert graphics("left", "top", "width", "height") == ("0", "0", "800", "480")

    monkeypatch.setattr(kiosk_app, "display_bounds", lambda: (1920, 0, 1280, 800))
    kiosk_app.configure_kivy(make_config(tmp_path, fullscreen=True))
    assert graphics("left", "top", "width", "height") == ("1920", "0", "1280", "800")


def test_display_bounds_is_none_for_another_window_provider(monkeypatch):
    monkeypatch.setenv("KIVY_WINDOW", "egl_rpi")
    assert kiosk_app.display_bounds() is None


@pytest.mark.parametrize(("value", "size"), [("800x480", (800, 480)), ("1920X1080", (1920, 1080)),
                                             ("", (1280, 800)), ("big", (1280, 800))])
def test_window_size_from_the_environment(monkeypatch, value, size):
    monkeypatch.setenv("HYMY_KIOSK_SIZE", value)
    assert kiosk_app.window_size() == size


def test_a_synced_survey_replaces_scale_reasons_and_question(make_app):
    app = make_app()
    app.store.set_state("survey", {
        "version": 2, "scale": 3, "questions": {"fi": "Miten onnistuimme?"},
        "reasons": ["queue", "parking"], "reason_labels": {"fi": {"parking": "Pysäköinti"}},
    })
    app.apply_survey()
    assert (app.scale, list(app.reasons), app.survey_version) == (3, ["queue", "parking"], 2)
    assert app.strings["question"] == "Miten onnistuimme?"
    assert app.strings["reason_parking"] == "Pysäköinti"
    app.rate(1)
    app.answer_followup("parking")
    [row] = rows(app)
    assert (row["scale"], row["survey_version"], row["reason"]) == (3, 2, "parking")


@pytest.mark.parametrize("survey", [None, {"version": 0, "scale": 3, "questions": {"fi": "x"}},
                                    {"version": 3, "scale": 9, "questions": {}}, "junk"])
def test_no_usable_survey_keeps_the_config(make_app, survey):
    app = make_app()
    if survey is not None:
        app.store.set_state("survey", survey)
    app.apply_survey()
    assert (app.scale, app.survey_version) == (5, None)
    assert app.strings["question"] == app.all_strings["fi"]["question"]


def test_sync_hook_starts_triggers_and_stops_the_uploader(make_app, monkeypatch):
    import sync.uploader

    made = []

    class FakeSyncThread:
        def __init__(self, outbox_factory, url, token, **options):
            self.outbox_factory, self.url, self.token, self.options = (
                outbox_factory, url, token, options)
            self.calls = []
            made.append(self)

        def start(self):
            self.calls.append("start")

        def trigger(self):
            self.calls.append("trigger")

        def stop(self):
            self.calls.append("stop")

    monkeypatch.setattr(sync.uploader, "SyncThread", FakeSyncThread)
    app = make_app(sync={"url": "https://hymy.example", "token": "t0k", "interval": 10,
                         "batch_size": 50})
    app.start_sync()
    [thread] = made
    assert (thread.url, thread.token) == ("https://hymy.example", "t0k")
    assert thread.options["interval"] == 10 and thread.options["batch_size"] == 50
    assert thread.options["ca_bundle"] is None
    outbox = thread.outbox_factory()  # its own Store on the same file
    assert isinstance(outbox, Store) and outbox is not app.store
    assert outbox.path == app.store.path
    outbox.close()
    # The kiosk's health goes with every batch: its own database, its config's zone.
    health = thread.options["uploader_options"]["health"]()
    assert health["timezone"] == app.kiosk_config.timezone
    assert health["database_bytes"] >= app.store.path.stat().st_size > 0
    assert health["uptime_s"] >= 0 and health["disk_free_bytes"] <= health["disk_total_bytes"]
    assert app.sync_enabled
    app.sync_now()
    app.on_stop()
    assert thread.calls == ["start", "trigger", "stop"]


def test_no_url_no_sync(make_app):
    app = make_app()
    app.start_sync()
    assert (app.sync_thread, app.sync_enabled) == (None, False)
    app.sync_now()  # harmless


def test_the_systemd_unit_does_not_restart_after_exit_kiosk():
    unit = (ROOT / "docs" / "deploy"
            / "hymy-kiosk.service").read_text(encoding="utf-8")
    assert f"RestartPreventExitStatus={kiosk_app.EXIT_KIOSK_STATUS}" in unit.splitlines()


def test_face_artwork_is_read_once_at_start_and_never_on_a_tap(monkeypatch):
    from kiosk import widgets
    from kiosk.i18n import FACE_ART, face_image

    read: list[str] = []

    class FakeCoreImage:
        def __init__(self, filename, mipmap=False, nocache=False):
            read.append(filename)
            assert mipmap and nocache  # mipmapped once here, not Kivy's 60 s cache
            self.texture = SimpleNamespace(file=filename)

    monkeypatch.setattr(widgets, "CoreImage", FakeCoreImage)
    monkeypatch.setattr(widgets, "_faces", {})
    monkeypatch.setattr(widgets, "face_loads", 0)
    widgets.preload_faces()
    files = {face_image(score, scale) for scale in FACE_ART for score in range(1, scale + 1)}
    assert sorted(read) == sorted(map(str, files)) and widgets.face_loads == len(files)
    # Every face of every scale, as a tap (or a survey changing the scale) asks for it:
    # the same texture each time, nothing read again.
    for scale in FACE_ART:
        for score in range(1, scale + 1):
            texture = widgets.face_texture(score, scale)
            assert texture.file == str(face_image(score, scale))
            assert widgets.face_texture(score, scale) is texture
    assert widgets.face_texture(0, 5).file == str(face_image(1, 5))  # no tap yet
    assert widgets.face_texture(5, 3).file == str(face_image(3, 3))  # scale shrank
    assert len(read) == len(files)


def test_a_screen_change_is_complete_within_the_call():
    """The old screen leaves the window at once: the next frame draws only the new one."""
    from kivy.uix.screenmanager import Screen, ScreenManager

    events: list[str] = []

    class Probe(Screen):
        def on_pre_enter(self):
            events.append(f"pre_enter {self.name}")

        def on_enter(self):
            events.append(f"enter {self.name}")

        def on_leave(self):
            events.append(f"leave {self.name}")

    manager = ScreenManager(transition=kiosk_app.InstantTransition())
    question, thanks = Probe(name="rating"), Probe(name="thanks")
    manager.add_widget(question)
    manager.add_widget(thanks)
    events.clear()
    manager.current = "thanks"
    assert manager.children == [thanks] and question.parent is None
    assert events == ["pre_enter thanks", "enter thanks", "leave rating"]
    assert not manager.transition.is_active  # touches are not ignored afterwards
    manager.current = "rating"
    assert manager.children == [question] and manager.current_screen is question


def test_systemd_notifier_sends_datagrams_only_when_asked(tmp_path):
    import socket

    assert not kiosk_app.SystemdNotifier({}).notify("READY=1")  # not under systemd: silent
    assert kiosk_app.SystemdNotifier({}).watchdog_interval is None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"hymy-test-{os.getpid()}"
    listener.bind("\0" + name)  # "@name" in NOTIFY_SOCKET: the abstract namespace
    listener.settimeout(5)
    with listener:
        notifier = kiosk_app.SystemdNotifier({"NOTIFY_SOCKET": "@" + name,
                                              "WATCHDOG_USEC": "30000000"})
        assert notifier.watchdog_interval == 15.0  # half of WatchdogSec, as sd_watchdog_enabled(3)
        assert notifier.notify("WATCHDOG=1")
        assert listener.recv(4096) == b"WATCHDOG=1"
    # The watchdog belongs to another process (WATCHDOG_PID): no pings from this one.
    other = kiosk_app.SystemdNotifier({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000",
                                       "WATCHDOG_PID": str(os.getpid() + 1)})
    assert other.watchdog_interval is None
    # Nobody listening: False and one warning, never an exception in the UI thread.
    assert not kiosk_app.SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).notify("X=1")
