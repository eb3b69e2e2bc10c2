"""The wheel carries what an installed kiosk and collector need outside the source tree."""

import subprocess
import sys
import zipfile

from tests.support import ROOT, copy_of_the_clone


def test_wheel_ships_assets_templates_and_migrations(tmp_path):
    source = copy_of_the_clone(tmp_path / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, text=True,
    )
    assert "Warning" not in built.stdout + built.stderr, "the build warns:\n" + built.stderr
    (wheel,) = tmp_path.glob("hymy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "kiosk/assets/i18n/fi.toml",
        "kiosk/assets/faces/face-5.png",
        "kiosk/assets/icon.png",
        "kiosk/screens/rating.kv",
        "sync/uploader/thread.py",
        "sync/collector/web/templates/store.html",
        "sync/collector/web/static/hymy.css",
        "sync/collector/db/migrations/sqlite/001_init.sql",
    ]:
        assert name in names, f"{name} missing from {wheel.name}"
    packages = {str(p.relative_to(ROOT)) for top in ("kiosk", "sync")
                for p in (ROOT / top).rglob("__init__.py")}
    assert packages <= names, f"packages missing from the wheel: {sorted(packages - names)}"
    assert not any(name.startswith(("tests/", "docs/", "tools/")) for name in names)
    assert not any(name.endswith(("screenshots.py", "make_faces.py")) for name in names), \
        "development tools stay out of the wheel"

    # Installed from the wheel (no source tree), sync finds the one set of catalogs
    # in kiosk/assets/i18n by path, without importing kiosk.
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    code = ("import sys, sync.i18n as i, sync.collector.web.i18n as w; "
            "print(i.__file__.startswith(sys.argv[1]), i.CATALOG_DIR.relative_to(sys.argv[1]), "
            "w.LANGUAGES, w.Translator('de')('responses'), "
            "[m for m in sys.modules if m.split('.')[0] in ('kiosk', 'kivy')])")
    out = subprocess.run([sys.executable, "-c", code, str(installed)], cwd=installed,
                         check=True, capture_output=True, text=True).stdout
    assert out.split() == ["True", "kiosk/assets/i18n", "('fi',", "'sv',", "'en',", "'de')",
                           "Antworten", "[]"]
