"""A survey worded in only some of a store's languages: kiosks fill the others with
their stock words, so shoppers would be asked differently by language.  ``survey set``
warns on stderr and the API's PUT answer carries the same lines in ``warnings``; the
survey is stored either way.

The store's languages are those its shoppers answered in (the ratings' ``lang``), else
the kiosk's default ``languages`` (fi, sv, en).  Over real HTTP against a running
collector (both backends), and the real ``hymy-collector`` on a real SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.config import SETTINGS
from sync.clock import utc_now
from sync.collector import Database, Storage
from sync.survey import KIOSK_LANGUAGES
from sync.wire import parse_rating
from tests.support.collector import rating, run_cli

#: The stock Swedish CSAT question a kiosk shows when the survey has none.
SWEDISH = '"Hur var ditt besök i dag?"'


def test_a_put_survey_missing_a_language_shoppers_use_answers_a_warning(collector_server):
    collector = collector_server
    store = collector.new_store()
    for lang in ("fi", "sv", "en"):
        assert store.post(store.ratings([5, 4], lang=lang)).status_code == 200
    path = f"/api/v1/stores/{store.store_id}/survey"
    partial = {"questions": {"fi": "Miten meni?", "en": "How was it?"}}
    answer = collector.request("PUT", path, collector.admin_token, json=partial)
    assert answer.status_code == 200, answer.text
    [warning] = answer.json()["warnings"]
    assert warning.startswith("questions: no sv text (given: fi, en), though shoppers at"
                              " this store answer in en, fi and sv;")
    assert f"sv: {SWEDISH}" in warning and warning.endswith("add questions.sv")
    shown = collector.request("GET", "/api/v1/survey", store.kiosk_token).json()
    assert (shown["version"], shown["questions"]) == (1, partial["questions"])  # stored anyway

    # Every language worded: no warning.  The answer PUT back as it came is a survey too.
    whole = {"questions": {**partial["questions"], "sv": "Hur gick det?"}}
    answer = collector.request("PUT", path, collector.admin_token, json=whole)
    assert (answer.status_code, answer.json()["warnings"]) == (200, [])
    again = collector.request("PUT", f"{path.removesuffix('/survey')}/touchpoints/exit/survey",
                              collector.admin_token, json=answer.json())
    assert (again.status_code, again.json()["version"], again.json()["warnings"]) == (
        200, 3, [])


def test_survey_set_warns_on_stderr_and_stores_the_survey(tmp_path: Path):
    database = tmp_path / "collector.db"
    run_cli(database, "store", "add", "vaasa", "--name", "Vaasa",
            "--timezone", "Europe/Helsinki")
    run_cli(database, "kiosk", "add", "vaasa-1", "--store", "vaasa")
    file = tmp_path / "survey.toml"
    file.write_text('[questions]\nfi = "Miten meni?"\nen = "How was it?"\n', encoding="utf-8")

    done = run_cli(database, "survey", "set", "vaasa", str(file))  # exit 0 asserted
    assert done.stdout == "Store vaasa now shows survey version 1 (csat)\n"
    assert done.stderr.startswith(
        f"Warning: {file}: questions: no sv text (given: fi, en), though kiosks offer fi, sv"
        " and en unless their config's languages say otherwise;")
    assert f"sv: {SWEDISH}" in done.stderr and len(done.stderr.splitlines()) == 1
    assert '"Miten meni?"' in run_cli(database, "survey", "show", "vaasa").stdout

    # A store whose shoppers answer only in German: a German survey leaves nobody out.
    storage = Storage(Database(str(database)))
    try:
        kiosk = storage.principal(storage.add_token("kiosk", kiosk_id="vaasa-1").token)
        storage.ingest(kiosk, [parse_rating(rating(1, lang="de"))], utc_now())
    finally:
        storage.db.close()
    file.write_text('[questions]\nde = "Wie war es?"\n', encoding="utf-8")
    done = run_cli(database, "survey", "set", "vaasa", str(file))
    assert (done.stdout, done.stderr) == ("Store vaasa now shows survey version 2 (csat)\n", "")


def test_the_default_languages_are_the_kiosks():
    [languages] = [setting for setting in SETTINGS if setting.name == "languages"]
    assert tuple(languages.default) == KIOSK_LANGUAGES
