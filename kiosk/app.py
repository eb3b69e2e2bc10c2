"""The shopper-facing kiosk app: one Kivy window, five screens, every tap stored first.

Screens (one module and one ``.kv`` file each in ``kiosk/screens/``)::

    rating --tap--> thanks --thanks_delay--> rating
       |   \\--negative/positive answer--> followup --reason/skip--> thanks
       |                      \\--followup_timeout--> rating
       \\--hold a corner 3 s--> pinpad --PIN--> staff --close/idle--> rating

Without a config file the app starts on ``setup`` instead (the first-start
screen, :mod:`kiosk.screens.setup`); once it has written the config,
:meth:`HymyApp.finish_setup` opens the store and the screens above and shows
the question, in the same window.

A tap is committed to SQLite (:meth:`kiosk.store.Store.record_tap`) on the
touch itself, synchronously, and only then does the screen change, so the
thank-you a shopper sees always stands for a stored rating.  If the database
cannot take the write (disk full), the shopper is still thanked, the error is
logged and the staff screen shows it.

State lives in Kivy properties on :class:`HymyApp` (current language and its
strings, the last tap, the layout unit ``u``) and the ``.kv`` files bind to
them.  Importing this module opens no window: :func:`run_app` sets Kivy's
config (full screen, no cursor, Escape and F1 inert, no multitouch
emulation) before the window is created.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import json
import logging
import os
import signal
import socket
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI owns sys.argv, not Kivy

from kivy.config import Config as KivyConfig  # noqa: E402 (must precede other Kivy imports)

from kiosk.config import ASSETS, Config  # noqa: E402
from kiosk.i18n import load_strings, text, with_survey  # noqa: E402
from kiosk.opendb import DatabaseUnavailable, check_store  # noqa: E402
from kiosk.pin import PinGate  # noqa: E402
from kiosk.store import Store, StoreError, Tap  # noqa: E402
from kiosk.store import health as store_health  # noqa: E402
from sync.commentlink import comment_key, link_url, token_hash  # noqa: E402
from sync.i18n import languages as catalog_languages  # noqa: E402
from sync.metrics import sentiment  # noqa: E402

log = logging.getLogger("hymy.kiosk")
#: Kivy's logger takes every record the root logger passes, DEBUG included; without this
#: each sync would write urllib3's connection lines into the store's console and journal.
logging.getLogger("urllib3").setLevel(logging.WARNING)


def _version() -> str:
    """The installed package version (what the uploader reports to the collector)."""
    try:
        return metadata.version("hymy")
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
#: When this process started (``time.monotonic()``): the uptime the kiosk reports.
APP_STARTED = time.monotonic()

#: Window size when ``fullscreen = false`` (override with HYMY_KIOSK_SIZE=WxH).
DEFAULT_WINDOW = (1280, 800)
#: Exit status of the staff "Exit kiosk" button; the systemd unit does not restart on it.
EXIT_KIOSK_STATUS = 10
#: Keys the kiosk swallows: Escape (27) and F1 (282, Kivy's settings panel).
SWALLOWED_KEYS = {27, 282}
#: The staff gesture: hold a CORNER_PX-square corner of the question for HOLD_SECONDS.
#: (Each screen owns its own timings, e.g. kiosk.screens.pinpad.PIN_IDLE.)
HOLD_SECONDS = 3.0
CORNER_PX = 100
#: Seconds on the question in another language before the store's default is back.
LANGUAGE_IDLE = 45.0


def window_size() -> tuple[int, int]:
    """The windowed-mode size: HYMY_KIOSK_SIZE=WxH or 1280x800."""
    value = os.environ.get("HYMY_KIOSK_SIZE", "")
    try:
        width, height = (int(part) for part in value.lower().split("x"))
        return width, height
    except ValueError:
        return DEFAULT_WINDOW


class _SDLRect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("w", ctypes.c_int), ("h", ctypes.c_int)]


def display_bounds() -> tuple[int, int, int, int] | None:
    """The first display's ``(x, y, width, height)`` in pixels, as SDL2 sees it, or None.

    Asked before Kivy opens its window, of the very SDL2 library Kivy's window
    uses (the symbols are looked up through Kivy's ``_window_sdl2`` extension,
    which is only loaded here, not imported: importing ``kivy.core.window``
    would open the window).  None when Kivy's window is not SDL2 or SDL2 finds
    no display; the caller then falls back to the window manager alone.
    """
    if os.environ.get("KIVY_WINDOW", "sdl2") != "sdl2":
        return None
    import kivy

    folder = Path(kivy.__file__).parent / "core" / "window"
    candidates = [folder / f"_window_sdl2{suffix}"
                  for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    extension = next((path for path in candidates if path.exists()), None)
    if extension is None:
        return None
    init_video = 0x20  # SDL_INIT_VIDEO
    try:
        sdl = ctypes.CDLL(str(extension))  # dlsym searches its dependencies: libSDL2
        if sdl.SDL_InitSubSystem(init_video) != 0:
            return None
        try:
            rect = _SDLRect()
            if sdl.SDL_GetNumVideoDisplays() < 1 or sdl.SDL_GetDisplayBounds(0, ctypes.byref(rect)):
                return None
        finally:
            sdl.SDL_QuitSubSystem(init_video)
    except (OSError, AttributeError):  # not loadable here, or an SDL2 without these calls
        return None
    if rect.w <= 0 or rect.h <= 0:
        return None
    return rect.x, rect.y, rect.w, rect.h


def configure_kivy(config: Config | None) -> None:
    """Kiosk lockdown settings; must run before Kivy creates its window.

    ``None`` (no config yet: the first-start screen) is full screen, as the
    example config, unless HYMY_KIOSK_SIZE asks for a window.
    """
    fullscreen = config.fullscreen if config else not os.environ.get("HYMY_KIOSK_SIZE")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    # Never Kivy's own on-screen keyboard: the first-start screen draws its own keys.
    KivyConfig.set("kivy", "keyboard_mode", "system")
    KivyConfig.set("kivy", "window_icon", str(ASSETS / "icon.png"))
    KivyConfig.set("graphics", "show_cursor", "0")
    KivyConfig.set("graphics", "borderless", "1")
    KivyConfig.set("graphics", "resizable", "0")
    # No multisampling: with software GL (Mesa llvmpipe) it made every redraw
    # 2.5x dearer, the frame after a tap included.  The rounded shapes antialias
    # their own edges (Smooth* instructions in the kv files) instead.
    KivyConfig.set("graphics", "multisamples", "0")
    if fullscreen:
        # Full screen is a request to the window manager (X11 _NET_WM_STATE_FULLSCREEN).
        # With no window manager nobody grants it: the X window kept Kivy's
        # default 800x600, centred, while SDL reported the display's size to
        # Kivy, so the picture and the touches were offset (issue 14).  The
        # window's own geometry is therefore the display's, so it is right
        # with or without a window manager; the request stays, so a window
        # manager also puts it above its panels.
        KivyConfig.set("graphics", "fullscreen", "auto")
        bounds = display_bounds()
        if bounds is None:
            log.warning("Hymy: display size unknown; full screen relies on the window manager")
        else:
            log.info("Hymy: full screen on a %dx%d display at %d,%d", *bounds[2:], *bounds[:2])
            place_window(*bounds)
    else:
        KivyConfig.set("graphics", "fullscreen", "0")
        place_window(0, 0, *window_size())
    # One input path: the window's pointer events (X11/Wayland deliver the
    # touchscreen as those).  Kivy's auto-probe would add the same touchscreen a
    # second time via /dev/input and double every tap; a provider configured
    # explicitly (KCFG_INPUT_<NAME> or ~/.kivy/config.ini) is kept.
    if KivyConfig.has_option("input", "%(name)s"):
        KivyConfig.remove_option("input", "%(name)s")
    # disable_multitouch: a right click makes no red multitouch dot;
    # disable_on_activity: ignored while a configured touch provider is active.
    KivyConfig.set("input", "mouse", "mouse,disable_on_activity,disable_multitouch")


def place_window(left: int, top: int, width: int, height: int) -> None:
    """The window's position and size in pixels (Kivy's ``[graphics]`` settings)."""
    KivyConfig.set("graphics", "width", str(width))
    KivyConfig.set("graphics", "height", str(height))
    KivyConfig.set("graphics", "position", "custom")
    KivyConfig.set("graphics", "left", str(left))
    KivyConfig.set("graphics", "top", str(top))


class SystemdNotifier:
    """sd_notify(3) in a few lines: datagrams to ``$NOTIFY_SOCKET`` (no libsystemd).

    Under ``Type=notify`` the kiosk says ``READY=1`` once its window is up and
    its clock runs, and with ``WatchdogSec=`` it pings ``WATCHDOG=1`` every half
    of ``$WATCHDOG_USEC`` from the Kivy clock, i.e. from the UI thread: a hung
    UI stops the pings and systemd restarts the service.  Without
    ``NOTIFY_SOCKET`` (not started by systemd) it does nothing.
    """

    def __init__(self, environ: dict[str, str] | None = None):
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        # "@name" is a socket in the abstract namespace (a leading NUL byte).
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_interval: float | None = None
        pid = environ.get("WATCHDOG_PID", "")
        try:
            usec = int(environ.get("WATCHDOG_USEC", ""))
        except ValueError:
            usec = 0
        if self.address and usec > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval = usec / 2e6
        self._failed = False

    def notify(self, message: str) -> bool:
        """Send one state line (``READY=1``, ``WATCHDOG=1``...); False when nobody listens."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self.address)
        except OSError as error:
            if not self._failed:  # once, not every ping
                log.warning("Hymy: cannot notify systemd at %s: %s", self.address, error)
            self._failed = True
            return False
        self._failed = False
        return True


from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.properties import (  # noqa: E402
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.screenmanager import TransitionBase  # noqa: E402


class InstantTransition(TransitionBase):
    """Swap screens inside the current frame: the old screen is never drawn again.

    Kivy's ``NoTransition`` still runs a zero-length animation, so the frame
    after a tap drew both the question and the thank-you (and the next frame
    the thank-you again): with software GL, two full-window redraws before the
    shopper saw anything.  Here the new screen replaces the old one at once
    and ``on_enter``/``on_leave`` run right away; the manager never ignores
    touches "during a transition".
    """

    duration = NumericProperty(0.0)

    def start(self, manager: Any) -> None:
        self.manager = manager
        screen_in, screen_out = self.screen_in, self.screen_out
        screen_in.pos = screen_out.pos = manager.pos
        screen_in.transition_progress, screen_in.transition_state = 1.0, "in"
        screen_out.transition_progress, screen_out.transition_state = 0.0, "out"
        screen_in.dispatch("on_pre_enter")
        screen_out.dispatch("on_pre_leave")
        self.remove_screen(screen_out)
        self.add_screen(screen_in)
        self.is_active = False
        screen_in.dispatch("on_enter")
        screen_out.dispatch("on_leave")

    def stop(self) -> None:
        self.is_active = False


class KioskRoot(FloatLayout):
    """The window's root: background, the screen manager, and the staff corner gesture.

    Pressing and holding any screen corner (CORNER_PX square) on the rating
    screen for HOLD_SECONDS opens the PIN pad; lifting or sliding away cancels.
    """

    hold_event = ObjectProperty(None, allownone=True)

    def in_corner(self, x: float, y: float) -> bool:
        """True when a window point lies in one of the four corner squares."""
        near_x = x < CORNER_PX or x > self.width - CORNER_PX
        near_y = y < CORNER_PX or y > self.height - CORNER_PX
        return near_x and near_y

    def on_touch_down(self, touch: Any) -> bool:
        app = App.get_running_app()
        if app.screen == "rating" and self.in_corner(*touch.pos):
            touch.grab(self)
            touch.ud["hymy_corner"] = True
            self.cancel_hold()
            self.hold_event = Clock.schedule_once(lambda _dt: app.open_pinpad(), HOLD_SECONDS)
            return True
        return super().on_touch_down(touch)

    def on_touch_move(self, touch: Any) -> bool:
        if touch.ud.get("hymy_corner"):
            if not self.in_corner(*touch.pos):
                self.cancel_hold()
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch: Any) -> bool:
        if touch.ud.get("hymy_corner"):
            if touch.grab_current is self:
                touch.ungrab(self)
            self.cancel_hold()
            return True
        return super().on_touch_up(touch)

    def cancel_hold(self) -> None:
        if self.hold_event is not None:
            self.hold_event.cancel()
            self.hold_event = None


class HymyApp(App):
    """The kiosk.  ``kiosk_config`` is the validated :class:`kiosk.config.Config`."""

    title = "Hymy"
    #: Current language code and its strings (kv files bind to ``strings``).
    lang = StringProperty("")
    strings = DictProperty({})
    languages = ListProperty([])
    language_names = DictProperty({})
    #: Layout unit: 1.0 at 1280x800, scaled to the window's smaller ratio.
    u = NumericProperty(1.0)
    #: Kind, answers and follow-up reasons in use: the config's, or the collector's survey.
    kind = StringProperty("csat")
    scale = NumericProperty(5)
    reasons = ListProperty([])
    positive_reasons = ListProperty([])
    #: The open follow-up: after a ``negative`` or a ``positive`` answer, and its buttons.
    followup_side = StringProperty("negative")
    followup_reasons = ListProperty([])
    survey_version = ObjectProperty(None, allownone=True)
    screen = StringProperty("rating")
    #: The last tap (a kiosk.store.Tap or None when it could not be stored).
    last_tap = ObjectProperty(None, allownone=True)
    last_score = NumericProperty(0)
    #: The last tap's comment link for the thank-you screen's QR code ("" for none).
    comment_url = StringProperty("")
    #: The last database error shown to staff ("" when writes work).
    store_error = StringProperty("")
    sync_enabled = BooleanProperty(False)
    #: The sync thread's live status (``syncing``, ``last_error``...), {} without sync.
    sync_status = DictProperty({})

    def __init__(self, kiosk_config: Config | None, setup_path: Path | None = None,
                 **kwargs: Any):
        """``kiosk_config`` None: no config yet, the first-start screen writes one at
        ``setup_path``."""
        super().__init__(**kwargs)
        self.kiosk_config: Config = kiosk_config  # type: ignore[assignment] (set by setup)
        self.setup_path = setup_path
        self.store: Store | None = None
        self.sync_thread: Any = None
        self.exit_requested = False
        self.tap_ms: float | None = None
        self._language_reset: Any = None
        self._status_path = os.environ.get("HYMY_KIOSK_TEST_STATUS") or None
        self._status_event: Any = None
        self.systemd = SystemdNotifier()
        self.comment_key: bytes | None = None
        if kiosk_config is None:  # the installer picks any language there is
            self.screen = "setup"
            self.use_languages(catalog_languages("kiosk"), {})
        else:
            self.use_config(kiosk_config)

    # -- setup ---------------------------------------------------------------

    def use_config(self, config: Config) -> None:
        """Take the settings the screens read from a (new) config."""
        self.kiosk_config = config
        self.kind = config.kind
        self.scale = config.scale
        self.reasons = list(config.reasons)
        self.positive_reasons = list(config.positive_reasons)
        self.use_languages(config.languages, config.questions)
        self.pin_gate = PinGate(config.staff_pin_hash)
        self.comment_key = comment_key(token_hash(config.sync.token)) if config.comments else None

    def use_languages(self, languages: list[str], questions: dict[str, str]) -> None:
        """Offer ``languages`` (the first is the default) and show the default one."""
        self.all_strings = load_strings(languages, questions, kind=self.kind)
        self.language_names = {
            code: self.all_strings[code].get("language_name", code) for code in languages
        }
        self.languages = list(languages)
        self.strings = self.all_strings[self.default_lang]
        self.lang = self.default_lang

    @property
    def default_lang(self) -> str:
        """The store's default language: the first in ``languages``."""
        return self.languages[0]

    def on_lang(self, _app: Any, lang: str) -> None:
        self.strings = self.all_strings[lang]
        self.write_status()

    def build(self) -> KioskRoot:
        from kivy.core.window import Window
        from kivy.lang import Builder
        from kivy.uix.screenmanager import ScreenManager

        from kiosk import widgets  # noqa: F401 (loads widgets.kv)

        Window.show_cursor = False
        Window.clearcolor = (0.96, 0.96, 0.95, 1)
        Window.bind(on_keyboard=self.swallow_key, on_request_close=self.refuse_close)
        Window.bind(size=self.update_unit)
        self.update_unit(Window, Window.size)

        root = Builder.load_string(ROOT_KV)
        manager: ScreenManager = root.ids.manager
        manager.transition = InstantTransition()
        manager.bind(current=self.on_screen_change)
        self.manager = manager
        if self.kiosk_config is None:
            from kiosk.screens.setup import SetupScreen

            manager.add_widget(SetupScreen(name="setup"))
        else:
            self.open_kiosk()
        return root

    def open_kiosk(self) -> None:
        """Open the store, start syncing and add the kiosk's screens (question first)."""
        from kiosk import widgets
        from kiosk.screens.followup import FollowupScreen
        from kiosk.screens.pinpad import PinPadScreen
        from kiosk.screens.rating import RatingScreen
        from kiosk.screens.staff import StaffScreen
        from kiosk.screens.thanks import ThanksScreen

        self.store = Store(
            self.kiosk_config.database_path, self.kiosk_config.store_id,
            self.kiosk_config.kiosk_id, self.kiosk_config.timezone,
        )
        try:
            removed = self.store.prune(self.kiosk_config.retention_days)
            if removed:
                log.info("Hymy: pruned %d synced ratings older than %g days", removed,
                         self.kiosk_config.retention_days)
            # Rejected under another store or kiosk id: the config was corrected since.
            moved = self.store.resend_rejected(moved_only=True)
            if moved:
                log.info("Hymy: %d rejected ratings go again as store %s, kiosk %s", moved,
                         self.kiosk_config.store_id, self.kiosk_config.kiosk_id)
        except StoreError as error:
            log.error("Hymy: prune or requeue failed: %s", error)
        self.apply_survey()
        self.start_sync()
        # Every face of every scale, decoded, uploaded and mipmapped now, not on a tap.
        widgets.preload_faces()
        for screen in (RatingScreen(name="rating"), ThanksScreen(name="thanks"),
                       FollowupScreen(name="followup"), PinPadScreen(name="pinpad"),
                       StaffScreen(name="staff")):
            self.manager.add_widget(screen)

    def finish_setup(self, config: Config) -> None:
        """The first-start screen wrote ``config``: run the kiosk on it, no restart."""
        self.use_config(config)
        self.open_kiosk()
        setup = self.manager.current_screen
        self.show("rating")
        self.manager.remove_widget(setup)
        self.log_started()
        self.systemd.notify(self.systemd_status())

    def log_started(self) -> None:
        log.info("Hymy: kiosk %s started, store %s, kiosk %s, %d faces, database %s",
                 __version__, self.kiosk_config.store_id, self.kiosk_config.kiosk_id,
                 self.scale, self.kiosk_config.database_path)

    def systemd_status(self) -> str:
        """What ``systemctl status`` shows beside the service (sd_notify STATUS=)."""
        if self.kiosk_config is None:
            return f"STATUS=Showing the first-start setup (no config at {self.setup_path})"
        return (f"STATUS=Showing the question (store {self.kiosk_config.store_id}, "
                f"kiosk {self.kiosk_config.kiosk_id})")

    def on_start(self) -> None:
        # SDL turns SIGTERM into a window-close request, which the kiosk refuses;
        # `systemctl stop` must still end it cleanly, so take SIGTERM back.
        signal.signal(signal.SIGTERM, lambda *_args: Clock.schedule_once(lambda _dt: self.stop()))
        if self.kiosk_config is None:
            log.info("Hymy: kiosk %s: no config at %s, showing the first-start setup",
                     __version__, self.setup_path)
        else:
            self.log_started()
        if self._status_path:  # test probe: keep the status current while the app runs
            Clock.schedule_interval(lambda _dt: self.write_status(), 0.25)
        # READY from the first clock tick: the window is up and the UI loop runs.
        Clock.schedule_once(lambda _dt: self.systemd.notify(f"READY=1\n{self.systemd_status()}"))
        if self.systemd.watchdog_interval:
            Clock.schedule_interval(lambda _dt: self.systemd.notify("WATCHDOG=1"),
                                    self.systemd.watchdog_interval)

    def on_stop(self) -> None:
        self.systemd.notify("STOPPING=1")
        if self.sync_thread is not None:
            try:
                self.sync_thread.stop()
            except Exception:  # never let shutdown hang on the uploader
                log.exception("Hymy: stopping sync failed")
        if self.store is not None:
            self.store.close()

    def update_unit(self, _window: Any, size: tuple[int, int]) -> None:
        width, height = size
        self.u = max(0.45, min(width / 1280, height / 800))

    # -- lockdown -------------------------------------------------------------

    def swallow_key(self, _window: Any, key: int, *_args: Any) -> bool:
        """Escape and F1 do nothing on a kiosk (returning True stops Kivy's handlers)."""
        return key in SWALLOWED_KEYS

    def refuse_close(self, *_args: Any, **_kwargs: Any) -> bool:
        """Window-close requests (Alt+F4, the window manager) are refused."""
        return True

    def open_settings(self, *_args: Any) -> bool:
        """Kivy's settings panel (F1) never opens on the kiosk."""
        return False

    def exit_kiosk(self) -> None:
        """Staff "Exit kiosk": stop the app with EXIT_KIOSK_STATUS."""
        log.info("Hymy: exit requested from the staff screen")
        self.exit_requested = True
        self.stop()

    # -- navigation -----------------------------------------------------------

    def show(self, name: str) -> None:
        """Switch screens at once (the tap path must stay well under 100 ms)."""
        self.manager.current = name

    def on_screen_change(self, _manager: Any, name: str) -> None:
        self.screen = name
        self.write_status(delay=0.05)

    def back_to_question(self) -> None:
        """The question screen again, in the store's default language."""
        self.cancel_language_reset()
        self.apply_survey()
        self.lang = self.default_lang
        self.show("rating")

    def set_language(self, lang: str) -> None:
        """The shopper's language switch; it falls back to the default after a rating."""
        self.lang = lang
        self.cancel_language_reset()
        if lang != self.default_lang:
            self._language_reset = Clock.schedule_once(
                lambda _dt: self.back_to_question() if self.screen == "rating" else None,
                LANGUAGE_IDLE,
            )

    def cancel_language_reset(self) -> None:
        if self._language_reset is not None:
            self._language_reset.cancel()
            self._language_reset = None

    def open_pinpad(self) -> None:
        if self.screen == "rating":
            self.show("pinpad")

    # -- the tap path ---------------------------------------------------------

    def followup_for(self, score: int) -> tuple[str, list[str]]:
        """Which follow-up an answer asks (negative or positive) and its buttons ([]: none).

        :func:`sync.metrics.sentiment` decides, except that a face kiosk's
        config names its negative faces itself (``followup_faces``).
        """
        side = sentiment(self.kind, score, self.scale)
        if self.kind == "csat":
            side = "negative" if score in self.kiosk_config.followup_faces else (
                side if side == "positive" else None)
        if side == "negative":
            return side, list(self.reasons)
        if side == "positive":
            return side, list(self.positive_reasons)
        return "negative", []

    def rate(self, score: int) -> Tap | None:
        """An answer was tapped: store it, then thank (or ask the follow-up)."""
        started = time.perf_counter()
        config = self.kiosk_config
        side, offered = self.followup_for(score)
        ask = bool(offered)
        tap: Tap | None = None
        try:
            tap = self.store.record_tap(
                score, self.scale, self.lang, interval=config.response_interval,
                ask_reason=ask, survey_version=self.survey_version, kind=self.kind,
            )
        except StoreError as error:
            log.error("Hymy: tap (score %d) NOT stored: %s", score, error)
            self.store_error = str(error)
        else:
            if self.store_error:
                log.info("Hymy: database writable again")
            self.store_error = ""
        self.last_tap = tap
        self.last_score = score
        self.comment_url = self.comment_link(tap)
        if ask:
            self.followup_side, self.followup_reasons = side, offered
        self.cancel_language_reset()
        self.show("followup" if tap is not None and ask and not tap.suppressed else "thanks")
        self.tap_ms = (time.perf_counter() - started) * 1000
        return tap

    def comment_link(self, tap: Tap | None) -> str:
        """The tap's signed comment link (made offline, see sync/commentlink.py), or ""
        when comments are off or the tap was not stored (nothing to tie a comment to)."""
        if tap is None or self.comment_key is None:
            return ""
        return link_url(self.kiosk_config.comments_base, self.comment_key,
                        self.kiosk_config.kiosk_id, tap.id, time.time())

    def answer_followup(self, reason: str | None, unanswered: str = "skipped") -> None:
        """A reason for the last tap, or None: the follow-up was ``unanswered``
        (``skipped`` or ``timeout``), which is recorded too."""
        if self.last_tap is None:
            return
        try:
            if reason is None:
                self.store.end_followup(self.last_tap.id, unanswered)
            else:
                self.store.set_reason(self.last_tap.id, reason)
        except StoreError as error:
            log.error("Hymy: reason for %s NOT stored: %s", self.last_tap.id, error)
            self.store_error = str(error)

    # -- strings ----------------------------------------------------------------

    def t(self, key: str, **values: Any) -> str:
        """A string in the current language."""
        return text(self.strings, key, **values)

    # -- survey -----------------------------------------------------------------

    def apply_survey(self) -> None:
        """Use the store's survey from the collector (saved by the sync thread), if any.

        A survey with version 1 or later replaces the config's scale, reasons
        and questions; ratings then carry its version.  Version 0 (the
        collector's built-in default) and a missing survey leave the config as is.
        """
        try:
            data = self.store.get_state("survey")
        except Exception:  # an unreadable state row must not stop the kiosk
            log.exception("Hymy: cannot read the saved survey")
            return
        if not isinstance(data, dict) or not isinstance(data.get("version"), int):
            return
        if data["version"] < 1 or data["version"] == self.survey_version:
            return
        from sync.survey import parse_survey

        try:
            survey = parse_survey(data)
        except ValueError as error:
            log.warning("Hymy: ignoring the saved survey: %s", error)
            return
        config = self.kiosk_config
        # The config's own questions are for the config's kind of question only.
        questions = config.questions if survey.kind == config.kind else None
        self.all_strings = with_survey(
            load_strings(config.languages, questions, kind=survey.kind), survey.questions,
            survey.reason_labels, survey.reasons[:6] + survey.positive_reasons,
            texts={"scale_low": survey.low_labels, "scale_high": survey.high_labels,
                   "followup_question": survey.followup_questions,
                   "positive_question": survey.positive_questions},
        )
        self.strings = self.all_strings[self.lang]
        self.reasons = survey.reasons[:6]
        self.positive_reasons = survey.positive_reasons
        self.kind, self.scale = survey.kind, survey.scale
        self.survey_version = survey.version
        log.info("Hymy: showing survey version %d (%s, %d answers, %d + %d reasons)",
                 survey.version, survey.kind, survey.scale, len(self.reasons),
                 len(self.positive_reasons))

    # -- sync -------------------------------------------------------------------

    def start_sync(self) -> None:
        """Start the background uploader when ``[sync] url`` is set and it is installed."""
        sync = self.kiosk_config.sync
        if not sync.url:
            log.info("Hymy: sync disabled: no [sync] url in the config")
            return
        try:
            from sync.uploader import SyncThread
        except ImportError as error:
            log.warning("Hymy: sync unavailable (%s); ratings stay queued locally", error)
            return
        config = self.kiosk_config

        def outbox() -> Store:
            return Store(config.database_path, config.store_id, config.kiosk_id, config.timezone)

        probe = functools.partial(store_health, config.database_path, config.timezone,
                                  APP_STARTED)
        try:
            self.sync_thread = SyncThread(
                outbox, sync.url, sync.token, interval=sync.interval,
                batch_size=sync.batch_size, ca_bundle=sync.ca_bundle or None,
                app_version=__version__, on_status=self.sync_status_changed,
                uploader_options={"health": probe},
            )
            self.sync_thread.start()
        except Exception:
            log.exception("Hymy: could not start sync; ratings stay queued locally")
            self.sync_thread = None
            return
        self.sync_enabled = True

    def sync_status_changed(self, status: dict[str, Any]) -> None:
        """Called on the sync thread: hand the status to the UI thread."""
        Clock.schedule_once(lambda _dt: self._take_sync_status(status))

    def _take_sync_status(self, status: dict[str, Any]) -> None:
        try:
            self.store.use_collector_zone()  # the sync thread may have learnt it
        except Exception:  # an unreadable state row must not stop the kiosk
            log.exception("Hymy: cannot read the collector's time zone")
        self.sync_status = dict(status)
        if self.screen == "rating" and not status.get("syncing"):
            self.apply_survey()

    def sync_now(self) -> None:
        """Staff "Sync now"."""
        if self.sync_thread is not None:
            self.sync_thread.trigger()

    # -- test probe -------------------------------------------------------------

    def write_status(self, delay: float | None = None) -> None:
        """Write a small JSON status for tests (only when HYMY_KIOSK_TEST_STATUS is set).

        It reports the current screen, language, last tap and where the visible
        buttons are, so a test can click them through X like a shopper would.
        """
        if not self._status_path:
            return
        if delay is not None:
            if self._status_event is not None:
                self._status_event.cancel()
            self._status_event = Clock.schedule_once(lambda _dt: self.write_status(), delay)
            return
        from kivy.core.window import Window

        targets: dict[str, dict[str, Any]] = {}
        screen = self.manager.current_screen if getattr(self, "manager", None) else None
        if screen is not None:
            for widget in screen.walk(restrict=True):
                name = getattr(widget, "probe", "")
                if name and widget.get_root_window() is not None:
                    targets[name] = probe_report(widget, Window.height)
        tap = self.last_tap
        status = {
            "pid": os.getpid(),
            "time": time.time(),
            "screen": self.screen,
            "lang": self.lang,
            "question": self.strings.get("question"),
            "window": list(Window.size),
            "last_tap": None if tap is None else {
                "id": tap.id, "seq": tap.seq, "score": tap.score, "suppressed": tap.suppressed,
            },
            "last_score": self.last_score,
            "comment_url": self.comment_url,
            "tap_ms": self.tap_ms,
            "face_loads": face_loads(),
            "store_error": self.store_error,
            "targets": targets,
        }
        path = Path(self._status_path)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(status), encoding="utf-8")
        os.replace(temporary, path)


def probe_report(widget: Any, window_height: float) -> dict[str, Any]:
    """Where a probed widget is (centre and ``box``: left, top, width, height, in X's
    top-down pixels) and, for a label, its text as drawn: the ``lines`` Kivy broke it
    into, whether it was ``shortened`` with an ellipsis, and its ``font_size``."""
    x, y = widget.to_window(*widget.center)
    left, bottom = widget.to_window(widget.x, widget.y)
    report: dict[str, Any] = {
        "x": round(x), "y": round(window_height - y), "text": getattr(widget, "text", None),
        "box": [round(left), round(window_height - bottom - widget.height),
                round(widget.width), round(widget.height)],
    }
    core = getattr(widget, "_label", None)  # a Label's text renderer
    if core is not None:
        report["lines"] = ["".join(word.text for word in line.words)
                           for line in getattr(core, "_cached_lines", [])]
        report["shortened"] = bool(getattr(core, "is_shortened", False))
        report["font_size"] = round(float(widget.font_size), 1)
    return report


def face_loads() -> int:
    """How many times face artwork was read from disk (once per file, at start)."""
    from kiosk import widgets

    return widgets.face_loads


ROOT_KV = """
#:import background kiosk.widgets.background_texture
#:import blending_off kiosk.widgets.blending_off
#:import blending_on kiosk.widgets.blending_on
KioskRoot:
    canvas.before:
        # the background is opaque: no blending (software GL would pay for it per pixel)
        Callback:
            callback: blending_off
        Color:
            rgba: 1, 1, 1, 1
        Rectangle:
            pos: self.pos
            size: self.size
            texture: background()
        Callback:
            callback: blending_on
    ScreenManager:
        id: manager
"""


def run_app(config: Config) -> None:
    """Run the kiosk until staff exit it (status EXIT_KIOSK_STATUS)."""
    configure_kivy(config)
    try:
        check_store(config)
    except DatabaseUnavailable as error:  # any cause (permissions, corrupt file): one line
        print(f"hymy-kiosk: {error}", file=sys.stderr)
        sys.exit(1)
    app = HymyApp(config)
    app.run()
    if app.exit_requested:
        sys.exit(EXIT_KIOSK_STATUS)


def run_setup(path: Path) -> None:
    """No config at ``path`` yet: the first-start screen, then the kiosk (same window)."""
    configure_kivy(None)
    app = HymyApp(None, setup_path=path)
    app.run()
    if app.exit_requested:
        sys.exit(EXIT_KIOSK_STATUS)
