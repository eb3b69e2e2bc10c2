"""Surveys per touchpoint (issue #16): one store asks CSAT, CES at the service desk and
NPS at the exit, each kiosk the question of the touchpoint it stands at.

Found in a user trial: a store survey made every kiosk of the store ask the same
question.  Over real HTTP against a running collector (both backends), with the
``hymy-collector survey`` commands on a real SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.collector import Collector, batch, rating, run_cli

CSAT = {"questions": {"en": "How did we do?"}, "reasons": ["queue"]}
CES = {"kind": "ces", "questions": {"en": "It was easy to get my errand done"}}
NPS = {"kind": "nps", "questions": {"en": "Would you recommend us?"}}


def put(collector: Collector, path: str, body: dict) -> dict:
    """PUT a survey as the admin; its answer (200 asserted)."""
    answer = collector.request("PUT", path, collector.admin_token, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def kiosk_at(collector: Collector, store_id: str, kiosk_id: str, touchpoint: str) -> str:
    """A new kiosk of the store standing at ``touchpoint``; its token."""
    made = collector.request("POST", f"/api/v1/stores/{store_id}/kiosks",
                             collector.admin_token, json={"id": kiosk_id,
                                                          "touchpoint": touchpoint})
    assert made.status_code == 201, made.text
    return made.json()["token"]


def shown(collector: Collector, token: str, etag: str | None = None):
    """The kiosk's ``GET /api/v1/survey`` answer."""
    headers = {"If-None-Match": etag} if etag else {}
    return collector.request("GET", "/api/v1/survey", token, headers=headers)


def test_kiosks_at_the_desk_and_the_exit_ask_their_own_question(collector_server):
    collector = collector_server
    store = collector.new_store()  # its first kiosk stands at no named touchpoint
    sid = store.store_id
    desk = kiosk_at(collector, sid, f"{sid}-desk", "service_desk")
    door = kiosk_at(collector, sid, f"{sid}-exit", "exit")
    base = f"/api/v1/stores/{sid}"
    assert put(collector, f"{base}/survey", CSAT)["version"] == 1
    assert put(collector, f"{base}/touchpoints/service_desk/survey", CES)["version"] == 2
    assert put(collector, f"{base}/touchpoints/exit/survey", NPS)["version"] == 3

    got = {name: shown(collector, token).json() for name, token in
           (("plain", store.kiosk_token), ("desk", desk), ("exit", door))}
    assert {name: (s.get("kind", "csat"), s["scale"], s["version"])
            for name, s in got.items()} == {
        "plain": ("csat", 5, 1), "desk": ("ces", 7, 2), "exit": ("nps", 11, 3)}
    # The old path still answers the store's own survey, as before.
    assert collector.request("GET", f"{base}/survey", collector.office_token
                             ).json()["version"] == 1

    # Each kiosk answers its own question; the ratings are stored with its kind.
    for token, kind, score, scale, version in ((desk, "ces", 6, 7, 2),
                                               (door, "nps", 9, 11, 3)):
        sent = collector.request("POST", "/api/v1/batches", token, json=batch([rating(
            1, score, scale, kind=kind, survey_version=version)]))
        assert sent.status_code == 200, sent.text
    stored = {row["kiosk_id"]: (row["question_kind"], row["score"], row["survey_version"])
              for row in collector.export()[0] if row["store_id"] == sid}
    assert stored == {f"{sid}-desk": ("ces", 6, 2), f"{sid}-exit": ("nps", 9, 3)}

    listed = collector.request("GET", f"{base}/surveys", store.staff_token).json()
    assert listed["store"]["version"] == 1
    assert [(t["touchpoint"], t["survey"]["kind"]) for t in listed["touchpoints"]] == [
        ("exit", "nps"), ("service_desk", "ces")]

    # Unset the exit's survey: its kiosk's ETag no longer matches, it gets the store's.
    etag = shown(collector, door).headers["ETag"]
    assert shown(collector, door, etag).status_code == 304
    gone = collector.request("DELETE", f"{base}/touchpoints/exit/survey", collector.admin_token)
    assert gone.status_code == 204
    after = shown(collector, door, etag)
    assert after.status_code == 200 and after.json()["version"] == 1
    assert shown(collector, desk).json()["kind"] == "ces"


def test_bad_touchpoint_surveys_are_refused_and_store_nothing(collector_server):
    collector = collector_server
    store = collector.new_store()
    base = f"/api/v1/stores/{store.store_id}"
    typo = collector.request("PUT", f"{base}/touchpoints/servce_desk/survey",
                             collector.admin_token, json=CES)
    assert typo.status_code == 404
    assert typo.json()["detail"].startswith(
        f"no touchpoint 'servce_desk' in store '{store.store_id}': use one of checkout,")
    kind = collector.request("PUT", f"{base}/touchpoints/exit/survey", collector.admin_token,
                             json={**NPS, "kind": "xyz"})
    assert kind.status_code == 422 and "kind" in kind.json()["detail"]
    nowhere = collector.request("PUT", "/api/v1/stores/nowhere/touchpoints/exit/survey",
                                collector.admin_token, json=NPS)
    assert nowhere.status_code == 404
    listed = collector.request("GET", f"{base}/surveys", collector.office_token).json()
    assert listed == {"store_id": store.store_id, "store": None, "touchpoints": []}
    assert shown(collector, store.kiosk_token).json()["version"] == 0


def test_enrollment_gives_a_kiosk_its_touchpoints_survey(collector_server):
    collector = collector_server
    store = collector.new_store()
    kiosk_at(collector, store.store_id, f"{store.store_id}-exit", "exit")
    put(collector, f"/api/v1/stores/{store.store_id}/survey", CSAT)
    put(collector, f"/api/v1/stores/{store.store_id}/touchpoints/exit/survey", NPS)
    code = collector.cli("kiosk", "enroll-code", f"{store.store_id}-exit").stdout.split()[0]
    answer = collector.request("POST", "/api/v1/enroll", json={"code": code})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["survey"]["kind"], answer.json()["survey"]["scale"]) == ("nps", 11)


def write(folder: Path, name: str, text: str) -> str:
    """A survey TOML file; its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_survey_commands_per_touchpoint(tmp_path: Path):
    database = tmp_path / "collector.db"
    run_cli(database, "store", "add", "vaasa-rewell", "--name", "Rewell",
            "--timezone", "Europe/Helsinki")
    run_cli(database, "kiosk", "add", "vaasa-1", "--store", "vaasa-rewell",
            "--touchpoint", "info_point")
    nps = write(tmp_path, "nps.toml", 'kind = "nps"\n[questions]\nen = "Recommend us?"\n')
    ces = write(tmp_path, "ces.toml", 'kind = "ces"\n[questions]\nen = "Easy?"\n')
    bad = write(tmp_path, "bad.toml", 'kind = "nsp"\n[questions]\nen = "?"\n')

    done = run_cli(database, "survey", "set", "vaasa-rewell", nps)
    assert done.stdout == "Store vaasa-rewell now shows survey version 1 (nps)\n"
    done = run_cli(database, "survey", "set", "vaasa-rewell", ces,
                   "--touchpoint", "service_desk")
    assert done.stdout == ("Touchpoint 'service_desk' of store vaasa-rewell now shows"
                           " survey version 2 (ces)\n")
    # A touchpoint a kiosk stands at is known too, free text or not.
    run_cli(database, "survey", "set", "vaasa-rewell", ces, "--touchpoint", "info_point")

    for args, message in (
        (("set", "vaasa-rewell", ces, "--touchpoint", "servce_desk"),
         "Error: no touchpoint 'servce_desk' in store 'vaasa-rewell': use one of checkout,"),
        (("set", "vaasa-rewell", bad, "--touchpoint", "exit"),
         f"Error: {bad}, line 1: kind: Input should be"),
        (("set", "nowhere", ces, "--touchpoint", "exit"), "Error: no store 'nowhere'"),
        (("show", "vaasa-rewell", "--touchpoint", "servce_desk"), "Error: no touchpoint"),
        (("unset", "vaasa-rewell", "--touchpoint", "servce_desk"), "Error: no touchpoint"),
    ):
        refused = run_cli(database, "survey", *args, check=False)
        assert refused.returncode == 1, args
        assert refused.stderr.startswith(message), refused.stderr
        assert len(refused.stderr.splitlines()) == 1, refused.stderr

    listed = run_cli(database, "survey", "list", "vaasa-rewell").stdout.splitlines()
    assert [line.split()[:5] for line in listed] == [
        ["(store)", "version", "1", "nps", "scale"],
        ["info_point", "version", "3", "ces", "scale"],
        ["service_desk", "version", "2", "ces", "scale"]]
    desk = run_cli(database, "survey", "show", "vaasa-rewell", "--touchpoint", "service_desk")
    assert '"kind": "ces"' in desk.stdout
    exit_ = run_cli(database, "survey", "show", "vaasa-rewell", "--touchpoint", "exit")
    assert '"kind": "nps"' in exit_.stdout  # no survey of its own: the store's

    unset = run_cli(database, "survey", "unset", "vaasa-rewell", "--touchpoint", "service_desk")
    assert unset.stdout == ("Touchpoint 'service_desk' of store vaasa-rewell now shows the"
                            " store's survey\n")
    again = run_cli(database, "survey", "unset", "vaasa-rewell", "--touchpoint", "service_desk")
    assert "had no survey of its own" in again.stdout
    listed = run_cli(database, "survey", "list", "vaasa-rewell", "--json").stdout
    assert '"service_desk"' not in listed and '"info_point"' in listed

