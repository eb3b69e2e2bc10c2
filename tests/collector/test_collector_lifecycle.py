"""Stores and kiosks over their life: rename, time zone, move, retire, restore, delete.

Every test runs on SQLite and on PostgreSQL: through the admin API of a real
collector (``collector_server``) and through the ``hymy-collector`` commands
(``collector_database``).  See "Lifecycle" in docs/collector.md.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from sync.clock import format_utc, local_date, utc_now, zone
from sync.collector import Database, Storage
from sync.collector.cli import cli
from sync.uploader.client import TokenRejected, check_status
from sync.wire import parse_rating
from tests.support.collector import rating

TODAY = local_date(utc_now(), zone("Europe/Helsinki"))
WEEK = {"from": (utc_now() - timedelta(days=7)).date().isoformat(),
        "to": (utc_now() + timedelta(days=2)).date().isoformat()}


# -- admin API --------------------------------------------------------------------


def admin(server, method: str, path: str, **kwargs) -> requests.Response:
    """An admin request to the shared collector."""
    return server.request(method, path, server.admin_token, **kwargs)


def ranked_ids(server) -> set[str]:
    answer = server.request("GET", "/api/v1/ranking", server.office_token,
                            params={**WEEK, "min_responses": 0})
    assert answer.status_code == 200, answer.text
    rows = answer.json()
    rows = rows["stores"] if isinstance(rows, dict) else rows
    return {row["store_id"] for row in rows}


def test_store_rename_and_time_zone_via_api(collector_server):
    store = collector_server.new_store()
    path = f"/api/v1/stores/{store.store_id}"
    renamed = admin(collector_server, "PATCH", path, json={"name": "  Hymy Centre "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Hymy Centre"
    bad = admin(collector_server, "PATCH", path, json={"name": "Other", "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "unknown IANA time zone" in bad.json()["detail"]
    assert store.get("").json()["name"] == "Hymy Centre"  # nothing changed
    moved = admin(collector_server, "PATCH", path, json={"timezone": "Europe/Stockholm"})
    assert moved.status_code == 200 and moved.json()["timezone"] == "Europe/Stockholm"
    assert admin(collector_server, "PATCH", "/api/v1/stores/nowhere",
                 json={"name": "x"}).status_code == 404
    assert admin(collector_server, "PATCH", path, json={"name": " "}).status_code == 422


def test_retired_store_refuses_uploads_keeps_history_and_leaves_the_ranking(collector_server):
    store = collector_server.new_store()
    assert store.post(store.ratings([5, 4, 1])).status_code == 200
    assert store.store_id in ranked_ids(collector_server)
    path = f"/api/v1/stores/{store.store_id}"
    retired = admin(collector_server, "PATCH", path, json={"retired": True})
    assert retired.status_code == 200 and retired.json()["retired_at"]

    kept = store.ratings([5])  # stays on the kiosk while the store is retired
    refused = store.post(kept)
    assert refused.status_code == 403
    assert "retired" in refused.json()["detail"] and store.store_id in refused.json()["detail"]
    survey = collector_server.request("GET", "/api/v1/survey", store.kiosk_token)
    assert survey.status_code == 403
    # History stays readable and exportable; the ranking leaves it out.
    assert store.get("/summary", **WEEK).json()["responses"] == 3
    assert store.get("/kiosks").json()["kiosks"][0]["received"] == 3
    daily = collector_server.request("GET", "/api/v1/export/daily", collector_server.office_token,
                                     params={**WEEK, "store": store.store_id, "format": "jsonl"})
    assert daily.status_code == 200 and store.store_id in daily.text
    assert store.store_id not in ranked_ids(collector_server)
    listed = {s["id"]: s for s in collector_server.request(
        "GET", "/api/v1/stores", collector_server.office_token).json()}
    assert listed[store.store_id]["retired_at"] == retired.json()["retired_at"]

    restored = admin(collector_server, "PATCH", path, json={"retired": False})
    assert restored.status_code == 200 and restored.json()["retired_at"] is None
    assert store.post(store.ratings([5])).status_code == 200
    assert store.store_id in ranked_ids(collector_server)
    assert store.get("/kiosks").json()["kiosks"][0]["missing"] == 1
    assert store.post(kept).json()["accepted"] == 1  # the kiosk re-sends what was refused
    assert store.get("/kiosks").json()["kiosks"][0]["missing"] == 0


def test_retired_kiosk_refuses_uploads_until_restored(collector_server):
    store = collector_server.new_store()
    assert store.post(store.ratings([3])).status_code == 200
    path = f"/api/v1/kiosks/{store.kiosk_id}"
    retired = admin(collector_server, "PATCH", path, json={"retired": True, "label": "Door"})
    assert retired.status_code == 200, retired.text
    assert retired.json()["label"] == "Door" and retired.json()["received"] == 1
    refused = store.post(store.ratings([5]))
    assert refused.status_code == 403
    assert f"kiosk {store.kiosk_id!r} was retired" in refused.json()["detail"]
    assert "hymy-collector kiosk restore" in refused.json()["detail"]
    with pytest.raises(TokenRejected, match="was retired at .* kiosk restore") as stopped:
        check_status(refused)  # what the kiosk's uploader makes of the answer: stop syncing
    assert store.kiosk_id in str(stopped.value)
    assert store.get("/summary", **WEEK).json()["responses"] == 1
    assert admin(collector_server, "PATCH", path, json={"retired": False}).status_code == 200
    assert store.post(store.ratings([5])).status_code == 200
    assert store.get("/summary", **WEEK).json()["responses"] == 2


def test_moved_kiosk_counts_for_its_new_store_and_keeps_its_seqs(collector_server):
    old, new = collector_server.new_store(), collector_server.new_store()
    assert old.post(old.ratings([5, 5])).status_code == 200
    moved = admin(collector_server, "PATCH", f"/api/v1/kiosks/{old.kiosk_id}",
                  json={"store_id": new.store_id})
    assert moved.status_code == 200 and moved.json()["store_id"] == new.store_id
    # Same token, next seqs, made after the move: counted for the new store.
    later = old.ratings([1, 2, 3], at=utc_now())
    answer = old.post(later)
    assert answer.status_code == 200 and answer.json()["accepted"] == 3, answer.text
    assert answer.json()["missing"] == []
    assert new.get("/summary", **WEEK).json()["responses"] == 3
    assert old.get("/summary", **WEEK).json()["responses"] == 2
    kiosks = {k["id"]: k for k in new.get("/kiosks").json()["kiosks"]}
    assert kiosks[old.kiosk_id]["max_seq"] == 5 and kiosks[old.kiosk_id]["missing"] == 0
    assert old.kiosk_id not in {k["id"] for k in old.get("/kiosks").json()["kiosks"]}
    # A tap naming a store the kiosk never stood in is refused, one by one.
    stale = old.post(old.ratings([4], store_id="elsewhere", at=utc_now())).json()
    assert stale["rejected"] == 1 and "does not match" in stale["items"][0]["reason"]
    # A retired store takes no kiosks; an unknown one is 404.
    admin(collector_server, "PATCH", f"/api/v1/stores/{old.store_id}", json={"retired": True})
    back = admin(collector_server, "PATCH", f"/api/v1/kiosks/{old.kiosk_id}",
                 json={"store_id": old.store_id})
    assert back.status_code == 422 and "retired" in back.json()["detail"]
    assert admin(collector_server, "PATCH", f"/api/v1/kiosks/{old.kiosk_id}",
                 json={"store_id": "nowhere"}).status_code == 404


def test_delete_only_what_holds_no_ratings_via_api(collector_server):
    store = collector_server.new_store()
    assert store.post(store.ratings([5, 4])).status_code == 200
    refused = admin(collector_server, "DELETE", f"/api/v1/stores/{store.store_id}")
    assert refused.status_code == 409 and "holds 2 ratings" in refused.json()["detail"]
    kiosk = admin(collector_server, "DELETE", f"/api/v1/kiosks/{store.kiosk_id}")
    assert kiosk.status_code == 409 and "holds 2 ratings" in kiosk.json()["detail"]

    empty = collector_server.new_store()
    spare = admin(collector_server, "POST", f"/api/v1/stores/{empty.store_id}/kiosks",
                  json={"id": f"{empty.store_id}-2"}).json()
    assert admin(collector_server, "DELETE",
                 f"/api/v1/kiosks/{spare['kiosk_id']}").status_code == 204
    gone = collector_server.request("POST", "/api/v1/batches", spare["token"],
                                    json={"format": 1, "sent_at": format_utc(utc_now()),
                                          "status": None, "ratings": []})
    assert gone.status_code == 401
    assert admin(collector_server, "DELETE", f"/api/v1/stores/{empty.store_id}").status_code == 204
    assert admin(collector_server, "GET", f"/api/v1/stores/{empty.store_id}").status_code == 404
    assert empty.post(empty.ratings([5])).status_code == 401  # its kiosk token went with it
    assert admin(collector_server, "DELETE", "/api/v1/kiosks/nowhere").status_code == 404


def logged_in(server, token: str) -> requests.Session:
    """A browser session logged in through the dashboard's login form."""
    session = requests.Session()
    form = session.get(server.url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    done = session.post(server.url + "/login", allow_redirects=False, timeout=10,
                        data={"token": token, "csrf": csrf})
    assert done.status_code == 303, done.text[:300]
    return session


def test_office_page_hides_a_retired_store_and_its_page_says_retired(collector_server):
    store = collector_server.new_store()
    assert store.post(store.ratings([5, 5, 4])).status_code == 200
    admin(collector_server, "PATCH", f"/api/v1/stores/{store.store_id}",
          json={"retired": True, "name": "Retired Test Shop"})
    session = logged_in(collector_server, collector_server.office_token)
    office = session.get(collector_server.url + "/office", timeout=30)
    assert office.status_code == 200 and "Retired Test Shop" not in office.text
    page = session.get(collector_server.url + f"/stores/{store.store_id}", timeout=30)
    assert page.status_code == 200 and 'id="store-retired"' in page.text
    assert "Retired Test Shop" in page.text  # its history stays on its own page


def test_store_page_shows_a_kiosk_label_and_retirement(collector_server):
    store = collector_server.new_store()
    admin(collector_server, "PATCH", f"/api/v1/kiosks/{store.kiosk_id}",
          json={"label": "Till 2", "retired": True})
    session = logged_in(collector_server, store.staff_token)
    page = session.get(collector_server.url + f"/stores/{store.store_id}?lang=en", timeout=30)
    row = page.text[page.text.index(f'data-kiosk="{store.kiosk_id}"'):]
    row = row[:row.index("</tr>")]
    assert "Till 2" in row and "pill muted" in row


def test_admins_manage_a_store_from_its_page(collector_server):
    store = collector_server.new_store()
    url = collector_server.url + f"/stores/{store.store_id}"
    session = logged_in(collector_server, collector_server.admin_token)
    page = session.get(url, timeout=30)
    assert 'id="manage"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def manage(action: str, value: str = "", token: str | None = None, who=session):
        return who.post(url + "/manage", allow_redirects=False, timeout=30,
                        data={"action": action, "value": value, "csrf": token or csrf})

    assert manage("rename", "Shop From The Page").status_code == 303
    assert manage("timezone", "Europe/Tallinn").status_code == 303
    bad = manage("timezone", "Mars/Base")
    assert bad.status_code == 422 and "unknown IANA time zone" in bad.text
    assert manage("rename", "Forged", token="x" * 64).status_code == 403
    assert manage("retire").status_code == 303
    shown = store.get("").json()
    assert (shown["name"], shown["timezone"]) == ("Shop From The Page", "Europe/Tallinn")
    assert shown["retired_at"]
    again = session.get(url, timeout=30).text
    assert 'id="store-retired"' in again and 'id="manage-restore"' in again
    assert manage("restore").status_code == 303
    assert store.get("").json()["retired_at"] is None
    # Office users see no form and may not post one.
    office = logged_in(collector_server, collector_server.office_token)
    assert 'id="manage"' not in office.get(url, timeout=30).text
    office_csrf = re.search(r'name="csrf" value="([^"]+)"',
                            office.get(url, timeout=30).text).group(1)
    assert manage("retire", token=office_csrf, who=office).status_code == 403
    assert store.get("").json()["retired_at"] is None


# -- command line -------------------------------------------------------------------


def run(database: str, *args: str, ok: bool = True):
    """Invoke the CLI in-process on ``database``; asserts the exit code."""
    result = CliRunner().invoke(cli, [*args, "--database", str(database)])
    assert (result.exit_code == 0) == ok, (result.output, result.exception)
    return result


def deliver(database: str, kiosk_id: str, seqs: range) -> None:
    """Store ratings from ``kiosk_id`` as an upload would (its store from its token)."""
    db = Database(database)
    try:
        storage = Storage(db)
        principal = storage.principal(TOKENS[kiosk_id])
        assert principal is not None and principal.retired is None
        storage.ingest(principal, [parse_rating(rating(seq, 4)) for seq in seqs], utc_now())
    finally:
        db.close()


TOKENS: dict[str, str] = {}


@pytest.fixture
def chain(collector_database: str) -> str:
    """Stores s1 (Helsinki) and s2 with kiosks k1 (s1) and k2 (s2)."""
    run(collector_database, "store", "add", "s1", "--name", "One", "--timezone",
        "Europe/Helsinki")
    run(collector_database, "store", "add", "s2", "--name", "Two", "--timezone",
        "Europe/Helsinki")
    for kiosk_id, store_id in (("k1", "s1"), ("k2", "s2")):
        TOKENS[kiosk_id] = run(collector_database, "kiosk", "add", kiosk_id, "--store",
                               store_id).stdout.strip().splitlines()[-1]
    return collector_database


def stores(database: str) -> dict[str, dict]:
    import json

    return {s["id"]: s for s in json.loads(run(database, "store", "list", "--json").stdout)}


def test_cli_rename_time_zone_retire_restore(chain):
    run(chain, "store", "rename", "s1", "Hymy One")
    run(chain, "kiosk", "add", "k3", "--store", "s2", "--label", "Till 3")
    assert "Till 3" in run(chain, "kiosk", "list", "--store", "s2").stdout
    run(chain, "kiosk", "rename", "k1", "By the door")
    deliver(chain, "k1", range(1, 4))
    bad = run(chain, "store", "timezone", "s1", "Mars/Base", ok=False)
    assert "unknown IANA time zone" in bad.output
    run(chain, "store", "timezone", "s1", "America/New_York")
    run(chain, "store", "retire", "s1")
    listed = stores(chain)
    assert listed["s1"]["name"] == "Hymy One" and listed["s1"]["retired_at"]
    assert listed["s1"]["timezone"] == "America/New_York"
    assert "By the door" in run(chain, "kiosk", "list").stdout
    # Past days keep their dates, hours are recounted: check agrees with the roll-ups.
    assert run(chain, "check").exit_code == 0
    db = Database(chain)
    try:
        storage = Storage(db)
        assert storage.principal(TOKENS["k1"]).retired.startswith("store 's1' was retired")
        from sync.collector import reports

        assert [r["store_id"] for r in reports.ranking_report(storage, "2000-01-01",
                                                              "2100-01-01", 0)] == ["s2"]
        assert reports.summary_report(storage, "s1", "2000-01-01",
                                      "2100-01-01")["responses"] == 3
    finally:
        db.close()
    run(chain, "store", "restore", "s1")
    run(chain, "kiosk", "retire", "k1")
    assert "retired" in run(chain, "kiosk", "list", "--store", "s1").stdout
    db = Database(chain)
    try:
        assert Storage(db).principal(TOKENS["k1"]).retired.startswith("kiosk 'k1' was retired")
    finally:
        db.close()
    run(chain, "kiosk", "restore", "k1")
    deliver(chain, "k1", range(4, 6))


def test_cli_lifecycle_commands_say_in_one_line_what_they_did(chain):
    def said(*args: str) -> str:
        return run(chain, *args).stdout

    assert said("store", "rename", "s1", " Hymy One ") == "Store s1 is now called 'Hymy One'\n"
    assert said("store", "timezone", "s1", "Europe/Tallinn") == (
        "Store s1 now keeps time in Europe/Tallinn; past ratings keep their dates."
        " Set timezone in its kiosks' kiosk.toml too.\n")
    assert re.fullmatch(r"Store s1 retired at \S+; its history is kept\n",
                        said("store", "retire", "s1"))
    assert said("store", "restore", "s1") == "Store s1 is in use again\n"
    assert said("kiosk", "rename", "k1", "By the door") == (
        "Kiosk k1 is now labelled 'By the door'\n")
    assert re.fullmatch(
        r'Kiosk k1 now stands in s2; set store_id = "s2" in its kiosk.toml\n'
        r"Taps it made before \S+ \(queued on the kiosk or sent again\) are filed under s1;"
        r" later ones under s2, whichever store its kiosk.toml names. None is refused.\n",
        said("kiosk", "move", "k1", "--store", "s2"))
    assert re.fullmatch(r"Kiosk k1 retired at \S+; its ratings are kept\n",
                        said("kiosk", "retire", "k1"))
    assert said("kiosk", "restore", "k1") == "Kiosk k1 is in use again\n"
    assert said("kiosk", "delete", "k1") == "Deleted kiosk k1\n"
    assert said("store", "delete", "s1") == "Deleted store s1\n"
    assert said("store", "add", "s3", "--name", "Three", "--timezone", "Europe/Oslo") == (
        "Added store s3 (Europe/Oslo)\n")


def test_cli_move_keeps_history_and_seqs(chain):
    deliver(chain, "k1", range(1, 4))
    run(chain, "kiosk", "move", "k1", "--store", "s2")
    deliver(chain, "k1", range(4, 6))
    db = Database(chain)
    try:
        storage = Storage(db)
        from sync.collector import reports

        assert reports.summary_report(storage, "s1", "2000-01-01", "2100-01-01")["responses"] == 3
        assert reports.summary_report(storage, "s2", "2000-01-01", "2100-01-01")["responses"] == 2
        kiosk = storage.kiosk("k1")
        assert (kiosk["store_id"], kiosk["received"]) == ("s2", 5)
        assert [k for k in storage.kiosks("s2") if k["id"] == "k1"][0]["gaps"] == []
    finally:
        db.close()
    assert run(chain, "check").exit_code == 0
    assert "no store 'nowhere'" in run(chain, "kiosk", "move", "k1", "--store", "nowhere",
                                       ok=False).output


def test_cli_delete_refuses_what_holds_ratings(chain):
    deliver(chain, "k1", range(1, 8))
    refused = run(chain, "store", "delete", "s1", ok=False)
    assert "holds 7 ratings" in refused.output and "retire" in refused.output
    assert "holds 7 ratings" in run(chain, "kiosk", "delete", "k1", ok=False).output
    # A kiosk moved into an empty store still holds its old store's ratings.
    run(chain, "kiosk", "move", "k1", "--store", "s2")
    moved_in = run(chain, "store", "delete", "s2", ok=False)
    assert "kiosk 'k1'" in moved_in.output and "7 ratings" in moved_in.output
    run(chain, "kiosk", "delete", "k2")
    run(chain, "kiosk", "move", "k1", "--store", "s1")
    run(chain, "store", "delete", "s2")
    assert set(stores(chain)) == {"s1"}
    assert "no kiosk 'k2'" in run(chain, "kiosk", "delete", "k2", ok=False).output
    assert "no store 's9'" in run(chain, "store", "retire", "s9", ok=False).output


def test_a_new_time_zone_keeps_past_dates_and_recounts_hours(chain_storage):
    storage = chain_storage({"hel": "Europe/Helsinki"})
    principal = storage.principal(storage.add_token("kiosk", kiosk_id="hel-k").token)
    # 22:30 UTC on 15 January is 00:30 on the 16th in Helsinki, 17:30 on the 15th in New York.
    tap = parse_rating(rating(1, 5, at="2026-01-15T22:30:00.000Z", tz="Europe/Helsinki"))
    storage.ingest(principal, [tap], utc_now())
    assert storage.hourly_counts("hel", "2026-01-16", "2026-01-16") == [
        ("2026-01-16", 0, 5, 5, 1)]
    storage.set_timezone("hel", "America/New_York")
    assert storage.store("hel")["timezone"] == "America/New_York"
    assert storage.daily_counts("hel", "2026-01-16", "2026-01-16")  # the date it was filed under
    assert not storage.daily_counts("hel", "2026-01-15", "2026-01-15")
    assert storage.hourly_counts("hel", "2026-01-16", "2026-01-16") == [
        ("2026-01-16", 17, 5, 5, 1)]  # the hour on the new zone's clock
    assert storage.check() == []
    # A later tap is placed by the new zone at once (this process's cache follows).
    later = parse_rating(rating(2, 4, at="2026-01-20T22:30:00.000Z", tz="America/New_York"))
    storage.ingest(principal, [later], utc_now())
    assert storage.hourly_counts("hel", "2026-01-20", "2026-01-20") == [
        ("2026-01-20", 17, 5, 4, 1)]
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        storage.set_timezone("hel", "Europe/Atlantis")
    assert storage.store("hel")["timezone"] == "America/New_York"


def test_another_process_reads_a_new_zone_once_its_copy_is_old(chain_storage):
    here = chain_storage({"tll": "Europe/Tallinn"})
    there = Storage(here.db)  # another collector process on the same database
    assert str(there.zone("tll")) == "Europe/Tallinn"
    here.set_timezone("tll", "Europe/Lisbon")
    assert str(here.zone("tll")) == "Europe/Lisbon"
    assert str(there.cached_zone("tll")) == "Europe/Tallinn"  # within ZONE_MAX_AGE_S
    assert str(there.zone("tll", max_age_s=0)) == "Europe/Lisbon"
    assert str(there.cached_zone("tll")) == "Europe/Lisbon"
