"""Export: the target list for the CRM, and a generic round trip that reproduces every metric."""

from __future__ import annotations

import csv
import json

from sqlmodel import Session, select

from abm_tui.cli import main
from abm_tui.importers.reader import read_inputs
from abm_tui.store import decisions
from abm_tui.store.db import open_store
from abm_tui.store.imports import apply_batch
from abm_tui.store.models import Account
from tests.unit.test_import_crm import SAMPLES


def decided_day(db) -> str:
    """The day the decisions were saved (UTC, as the log keeps it): no clock read in the test."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        days = {r[0][:10] for r in conn.execute("SELECT at FROM decision")}
    assert len(days) == 1
    return days.pop()


def cli_json(capsys, *args):
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_generic_round_trip_is_exact(demo_db, tmp_path, capsys):
    engine, _ = open_store(f"sqlite:///{demo_db}")
    with Session(engine) as s:  # decisions change tiers and statuses: they must survive the trip
        decisions.retier(session=s, account_id=5, tier=1)
        decisions.drop(session=s, account_id=6, reason="no budget")
    engine.dispose()
    folder, copy = tmp_path / "export", tmp_path / "copy.sqlite"
    assert main(["export", "generic", str(folder), "--db", str(demo_db)]) == 0
    assert main(["import", str(folder), "--db", str(copy)]) == 0
    capsys.readouterr()
    for command in (["accounts", "--json"], ["funnel", "--json"]):
        a = cli_json(capsys, *command, "--as-of", "2026-11-20", "--db", str(demo_db))
        b = cli_json(capsys, *command, "--as-of", "2026-11-20", "--db", str(copy))
        assert a == b


def test_targets_export_for_hubspot_keeps_record_ids_and_decisions(tmp_path):
    engine, _ = open_store(f"sqlite:///{tmp_path / 'h.sqlite'}")
    apply_batch(engine, read_inputs(sorted((SAMPLES / "hubspot").glob("*.csv"))))
    with Session(engine) as s:
        ids = {a.name: a.id for a in s.exec(select(Account))}
        decisions.retier(session=s, account_id=ids["Brightwater Analytics"], tier=1, reason="hot")
        decisions.drop(session=s, account_id=ids["Hofmann Maschinenbau GmbH"], reason="no budget until 2028")
    out = tmp_path / "hubspot.csv"
    assert (
        main(["export", "targets", "--format", "hubspot", str(out), "--db", str(tmp_path / "h.sqlite")]) == 0
    )
    rows = {r["Company name"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == {"Nordwind Logistics", "Brightwater Analytics", "Hofmann Maschinenbau GmbH"}
    b, h = rows["Brightwater Analytics"], rows["Hofmann Maschinenbau GmbH"]
    assert (b["Record ID"], b["Target Account"], b["Ideal Customer Profile Tier"], b["ABM Status"]) == (
        "9823451002",
        "true",
        "tier_1",
        "active",
    )
    day = decided_day(tmp_path / "h.sqlite")
    assert b["ABM Last Decision"] == f"{day} Tier 2 → Tier 1: hot"
    assert (h["Record ID"], h["Target Account"], h["Ideal Customer Profile Tier"], h["ABM Status"]) == (
        "9823451003",
        "false",
        "",
        "dropped",
    )
    assert h["ABM Last Decision"] == f"{day} dropped from the list: no budget until 2028"
    # Its headers are HubSpot's own: abm-tui (like HubSpot) reads it back as a company file.
    summary = apply_batch(engine, read_inputs([out]))
    assert summary.counts[out.name]["unchanged"] == 2  # Nordwind, and Brightwater's decided tier kept


def test_targets_export_uses_crm_ids_says_what_it_left_out_and_reads_like_a_sentence(tmp_path, capsys):
    """Issue 12: ids from the import, accounts without one counted, decisions as sentences, undo as the
    state it restored, --since / --meeting, formula-like names neutralised."""
    from abm_tui.store import meetings

    db = tmp_path / "h.sqlite"
    engine, _ = open_store(f"sqlite:///{db}")
    apply_batch(engine, read_inputs(sorted((SAMPLES / "hubspot").glob("*.csv"))))
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "accounts.csv").write_text(
        'account_id,name,tier\nX1,"=HYPERLINK(""http://evil.example"",""click"")",2\nX2,@SUM(A1:A9),3\n'
    )
    apply_batch(engine, read_inputs([evil]))
    with Session(engine) as s:
        ids = {a.name: a.id for a in s.exec(select(Account))}
        m = meetings.start_meeting(session=s, participants=["Sam Jansen", "Mia de Vries"])
        who = decisions.Who(decided_by=m.participants, meeting_id=m.id)
        decisions.retier(
            session=s, account_id=ids["Nordwind Logistics"], tier=2, who=who, reason="no budget until 2027"
        )
        decisions.retier(session=s, account_id=ids["Hofmann Maschinenbau GmbH"], tier=1, who=who)
        decisions.undo(session=s, who=who)  # Hofmann back to Tier 3
        decisions.retier(session=s, account_id=ids["@SUM(A1:A9)"], tier=1, who=who)
    today = decided_day(db)
    out = tmp_path / "hubspot.csv"
    assert main(["export", "targets", "--format", "hubspot", str(out), "--db", str(db)]) == 0
    assert "2 accounts have no HubSpot Record ID: left out" in capsys.readouterr().out
    rows = {r["Record ID"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == {"9823451001", "9823451002", "9823451003"}  # the two made in the app have none
    assert rows["9823451001"]["ABM Last Decision"] == (
        f"{today} Tier 1 → Tier 2 by Sam Jansen, Mia de Vries: no budget until 2027"
    )
    assert rows["9823451003"]["ABM Last Decision"] == (
        f"{today} Tier 1 → Tier 3 by Sam Jansen, Mia de Vries (an earlier decision undone)"
    )
    assert rows["9823451003"]["Ideal Customer Profile Tier"] == "tier_3"
    # --meeting: only what that meeting decided; generic format keeps every account (its own ids).
    generic = tmp_path / "generic.csv"
    assert main(["export", "targets", "--meeting", "1", str(generic), "--db", str(db)]) == 0
    with generic.open(newline="", encoding="utf-8") as fh:
        names = {r["name"]: r for r in csv.DictReader(fh)}
    assert set(names) == {"Nordwind Logistics", "Hofmann Maschinenbau GmbH", "'@SUM(A1:A9)"}
    assert main(["export", "targets", "--since", "2999-01-01", str(generic), "--db", str(db)]) == 0
    assert generic.read_text().count("\n") == 1  # the header only
    # Formula-like names are written as text, and read back as they were.
    everything = tmp_path / "all"
    assert main(["export", "generic", str(everything), "--db", str(db)]) == 0
    raw = (everything / "accounts.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and ",=HYPERLINK" not in raw and ",'@SUM(A1:A9)" in raw
    copy = tmp_path / "copy.sqlite"
    assert main(["import", str(everything), "--db", str(copy)]) == 0
    again, _ = open_store(f"sqlite:///{copy}")
    with Session(again) as s:
        assert {a.name for a in s.exec(select(Account))} >= {
            '=HYPERLINK("http://evil.example","click")',
            "@SUM(A1:A9)",
        }
    # A folder that does not exist is one sentence.
    capsys.readouterr()
    assert main(["export", "targets", str(tmp_path / "nope" / "x.csv"), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        == f"abm-tui: There is no folder {tmp_path / 'nope'}; create it first or write the file elsewhere."
    )
