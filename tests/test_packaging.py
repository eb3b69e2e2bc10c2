"""The wheel carries what an installed kiosk and collector need outside the source tree."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_assets_templates_and_migrations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path),
         str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("hymy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "kiosk/assets/i18n/fi.toml",
        "kiosk/assets/faces/face-5.png",
        "kiosk/assets/icon.png",
        "kiosk/screens/rating.kv",
        "sync/uploader/thread.py",
        "sync/collector/templates/store.html",
        "sync/collector/static/hymy.css",
        "sync/collector/migrations/sqlite/001_init.sql",
    ]:
        assert name in names, f"{name} missing from {wheel.name}"
    assert not any(name.startswith(("tests/", "docs/")) for name in names)
