"""hymy-collector store hours / store alerts: a store's opening hours and thresholds."""

from __future__ import annotations

from tests.support.collector import run_cli


def test_opening_hours_are_set_shown_and_cleared(tmp_path):
    database = tmp_path / "c.db"
    run_cli(database, "store", "add", "s1", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    done = run_cli(database, "store", "hours", "s1", "Mon-Fri 9-21, sat 10-18")
    assert "opening hours: mon-fri 9-21; sat 10-18" in done.stdout
    assert "opening hours: mon-fri 9-21; sat 10-18" in run_cli(
        database, "store", "hours", "s1").stdout
    cleared = run_cli(database, "store", "hours", "s1", "--clear").stdout
    assert "opening hours: not set (inferred from the hours the store gets responses)" in cleared


def test_bad_hours_and_thresholds_are_one_line_errors_that_change_nothing(tmp_path):
    database = tmp_path / "c.db"
    run_cli(database, "store", "add", "s1", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    run_cli(database, "store", "hours", "s1", "mon-fri 9-21")
    for args, says in [
        (("hours", "s1", "mon 9"), "cannot read opening hours 'mon 9': write days and whole"),
        (("hours", "s1", ""), "no opening hours given"),
        (("hours", "s1", "mon 9-17", "--clear"), "give opening hours or --clear, not both"),
        (("hours", "nowhere", "mon 9-17"), "no store 'nowhere'"),
        (("alerts", "s1", "--burst-share", "1.5"), "burst_share must be above 0 and at most 1"),
        (("alerts", "s1", "--silent-hours", "-1"), "silent_hours must be above 0"),
        (("alerts", "s1", "--rate-alpha", "0.5"), "rate_alpha must be above 0 and below 0.5"),
        (("alerts", "s1", "--rate-alpha", "0"), "rate_alpha must be above 0 and below 0.5"),
        (("alerts", "s1", "--rate-alpha", "nan", "--silent-hours", "3"),
         "rate_alpha must be above 0 and below 0.5, not nan"),
    ]:
        done = run_cli(database, "store", *args, check=False)
        assert done.returncode == 1, args
        assert done.stderr.strip().splitlines() == [f"Error: {done.stderr.strip()[7:]}"]
        assert says in done.stderr, (args, done.stderr)
    shown = run_cli(database, "store", "alerts", "s1").stdout
    assert "opening hours: mon-fri 9-21" in shown and "burst_share: 0.5\n" in shown
    assert "silent_hours: 2\n" in shown and "rate_alpha: 0.0009\n" in shown


def test_a_store_overrides_thresholds_and_resets_them(tmp_path, monkeypatch):
    database = tmp_path / "c.db"
    run_cli(database, "store", "add", "s1", "--name", "Kamppi", "--timezone", "Europe/Helsinki")
    monkeypatch.setenv("HYMY_ALERT_SILENT_HOURS", "2.5")  # the chain's, shown for the rest
    done = run_cli(database, "store", "alerts", "s1", "--silent-hours", "4",
                   "--funnel-sigmas", "3.5").stdout
    assert "silent_hours: 4 (this store's own)" in done
    assert "funnel_sigmas: 3.5 (this store's own)" in done
    assert "burst_min_responses: 4\n" in done
    assert "rate_alpha: 0.0009\n" in done  # the chain's (HYMY_ALERT_RATE_ALPHA)
    looser = run_cli(database, "store", "alerts", "s1", "--rate-alpha", "1e-3").stdout
    assert "rate_alpha: 0.001 (this store's own)" in looser
    assert "silent_hours: 4 (this store's own)" in looser  # the others stay
    assert "rate_alpha: 0.001 (this store's own)" in run_cli(
        database, "store", "hours", "s1").stdout
    reset = run_cli(database, "store", "alerts", "s1", "--reset").stdout
    assert "silent_hours: 2.5\n" in reset and "(this store's own)" not in reset
    assert "rate_alpha: 0.0009\n" in reset
