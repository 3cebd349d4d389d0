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
    assert b["ABM Last Decision"].endswith("Tier 1: hot")
    assert (h["Record ID"], h["Target Account"], h["Ideal Customer Profile Tier"], h["ABM Status"]) == (
        "9823451003",
        "false",
        "",
        "dropped",
    )
    assert h["ABM Last Decision"].endswith("dropped: no budget until 2028")
    # Its headers are HubSpot's own: abm-tui (like HubSpot) reads it back as a company file.
    summary = apply_batch(engine, read_inputs([out]))
    assert summary.counts[out.name]["unchanged"] == 2  # Nordwind, and Brightwater's decided tier kept
