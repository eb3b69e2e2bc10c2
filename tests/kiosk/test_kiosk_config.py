"""The kiosk config: defaults from the SETTINGS list, and one clear line per mistake.

No display needed: kiosk.config imports no Kivy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import config as kc
from kiosk.cli import cli
from kiosk.pin import hash_pin

PIN_HASH = hash_pin("1234", iterations=1000)
REQUIRED = {
    "store_id": "s1", "kiosk_id": "k1", "timezone": "Europe/Helsinki",
    "staff_pin_hash": PIN_HASH,
}

#: One wrong value for every setting; test_every_setting_has_a_bad_value keeps it complete.
BAD = {
    "store_id": "",
    "kiosk_id": 7,
    "timezone": "Mars/Olympus",
    "database": "  ",
    "scale": 7,
    "languages": ["fi", "xx"],
    "questions": ["fi"],
    "reasons": ["queue"],
    "followup_faces": [0],
    "followup_timeout": 0,
    "thanks_delay": "3",
    "response_interval": -1,
    "staff_pin_hash": "1234",
    "fullscreen": "yes",
    "retention_days": 0,
    "kind": "smiley",
    "positive_reasons": ["friendly", "queue"],
    "comments": "yes",
    "comments_url": 5,
    "comment_delay": 1,
}
BAD_SYNC = {
    "url": 5,
    "token": 3,
    "interval": 0,
    "batch_size": 10_000,
    "ca_bundle": False,
}


def test_every_setting_has_a_bad_value():
    assert set(BAD) == {s.name for s in kc.SETTINGS}
    assert set(BAD_SYNC) == {s.name for s in kc.SYNC_SETTINGS}


def test_minimal_config_gets_every_default_from_settings():
    config = kc.parse(dict(REQUIRED))
    for setting in kc.SETTINGS:
        if setting.default is not kc.REQUIRED:
            assert getattr(config, setting.name) == setting.default, setting.name
    for setting in kc.SYNC_SETTINGS:
        assert getattr(config.sync, setting.name) == setting.default, setting.name
    assert config.reasons == ["queue", "staff", "prices", "availability", "cleanliness", "other"]


@pytest.mark.parametrize("key", sorted(BAD))
def test_bad_value_names_the_key(key):
    data = {**REQUIRED, key: BAD[key]}
    with pytest.raises(kc.ConfigError) as caught:
        kc.parse(data)
    message = str(caught.value)
    assert message.startswith(f"{key}: ")
    assert "expected" in message
    assert "\n" not in message


@pytest.mark.parametrize("key", sorted(BAD_SYNC))
def test_bad_sync_value_names_the_key(key):
    with pytest.raises(kc.ConfigError, match=rf"^sync\.{key}: got"):
        kc.parse({**REQUIRED, "sync": {key: BAD_SYNC[key]}})


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_missing_required_key(key):
    data = {k: v for k, v in REQUIRED.items() if k != key}
    with pytest.raises(kc.ConfigError, match=rf"^{key}: missing; expected "):
        kc.parse(data)


def test_unknown_key_is_named_with_the_known_ones():
    with pytest.raises(kc.ConfigError, match=r"^colour: unknown key \(known: "):
        kc.parse({**REQUIRED, "colour": "blue"})
    with pytest.raises(kc.ConfigError, match=r"^sync\.proxy: unknown key"):
        kc.parse({**REQUIRED, "sync": {"proxy": "x"}})


def test_followup_faces_must_exist_on_the_scale():
    with pytest.raises(kc.ConfigError, match=r"^followup_faces: faces must be 1\.\.3"):
        kc.parse({**REQUIRED, "scale": 3, "followup_faces": [1, 4]})
    assert kc.parse({**REQUIRED, "scale": 3, "followup_faces": [1]}).followup_faces == [1]


def test_nps_and_ces_kiosks_take_their_scale_from_the_kind():
    assert kc.parse({**REQUIRED, "kind": "nps"}).scale == 11
    ces = kc.parse({**REQUIRED, "kind": "ces", "scale": 7, "followup_faces": [1, 2]})
    assert (ces.kind, ces.scale) == ("ces", 7)
    with pytest.raises(kc.ConfigError, match=r"^scale: nps kiosks have 11 answers, not 5;"):
        kc.parse({**REQUIRED, "kind": "nps", "scale": 5})
    with pytest.raises(kc.ConfigError, match=r'^scale: got 11; expected 3, 4 or 5 faces'):
        kc.parse({**REQUIRED, "scale": 11})


def test_positive_reasons_are_praise_keys():
    config = kc.parse({**REQUIRED, "positive_reasons": ["friendly", "fast"]})
    assert config.positive_reasons == ["friendly", "fast"]
    assert kc.parse(REQUIRED).positive_reasons == []
    with pytest.raises(kc.ConfigError, match=r"^positive_reasons: .*not 'queue'"):
        kc.parse({**REQUIRED, "positive_reasons": ["friendly", "queue"]})


def test_reasons_may_be_empty_to_turn_the_follow_up_off():
    assert kc.parse({**REQUIRED, "reasons": []}).reasons == []
    with pytest.raises(kc.ConfigError, match=r"^reasons: .*not 'weather'"):
        kc.parse({**REQUIRED, "reasons": ["queue", "weather"]})


def test_load_reads_toml_and_resolves_the_database_next_to_the_file(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        "".join(f'{key} = "{value}"\n' for key, value in REQUIRED.items())
        + 'database = "data/k.db"\n[sync]\nurl = "https://hymy.example"\nbatch_size = 50\n',
        encoding="utf-8",
    )
    config = kc.load(path)
    assert config.database_path == tmp_path / "data" / "k.db"
    assert (config.sync.url, config.sync.batch_size) == ("https://hymy.example", 50)
    assert isinstance(config.sync.batch_size, int)


def test_load_errors_are_one_line(tmp_path: Path):
    with pytest.raises(kc.ConfigError, match="cannot read config file"):
        kc.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("store_id = \n", encoding="utf-8")
    with pytest.raises(kc.ConfigError, match="not valid TOML") as caught:
        kc.load(broken)
    assert "\n" not in str(caught.value)


def test_check_config_command(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text("".join(f'{k} = "{v}"\n' for k, v in REQUIRED.items()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check-config", "--config", str(good)])
    assert result.exit_code == 0
    assert "ok: store s1, kiosk k1, 5 faces" in result.output

    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text() + "scale = 6\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check-config", "--config", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "hymy-kiosk: config error: scale: got 6; expected 3, 4 or 5 faces (11 for nps, 7 for ces)"]

    nps = tmp_path / "nps.toml"
    nps.write_text(good.read_text() + 'kind = "nps"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check-config", "--config", str(nps)])
    assert "ok: store s1, kiosk k1, nps question (0-10)" in result.output


def test_config_module_imports_no_kivy():
    import subprocess

    code = "import kiosk.config, kiosk.store, kiosk.pin, kiosk.i18n, kiosk.today, sys; " \
           "print(any(m == 'kivy' or m.startswith('kivy.') for m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "False"
