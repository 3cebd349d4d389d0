"""CRM exports as people have them: HubSpot, Salesforce, Dutch Excel, and a real public data set."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from abm_tui.importers.crm import detect, read_inputs
from abm_tui.importers.errors import ImportFailed
from abm_tui.importers.formats import parse_datetime, parse_number
from abm_tui.importers.roles import infer_role
from abm_tui.store.db import open_store
from abm_tui.store.imports import apply_batch

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
MAPPINGS = Path(__file__).resolve().parents[2] / "fixtures" / "mappings"


@pytest.fixture
def engine(db_url):
    engine, _ = open_store(db_url)
    yield engine
    engine.dispose()


def q(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def test_hubspot_exports(engine):
    batch = read_inputs(sorted((SAMPLES / "hubspot").glob("*.csv")))
    summary = apply_batch(engine, batch)
    assert summary.counts["accounts.csv"]["created"] == 4
    assert q(engine, "SELECT name, domain, tier, is_target, hubspot_id FROM account ORDER BY name") == [
        ("Brightwater Analytics", "brightwater.io", 2, True, "9823451002"),  # "tier_2"
        ("Clearpath Retail", "clearpathretail.com", None, False, "9823451004"),
        ("Hofmann Maschinenbau GmbH", "hofmann-maschinenbau.de", 3, True, "9823451003"),  # "3"
        ("Nordwind Logistics", "nordwind-logistics.de", 1, True, "9823451001"),  # "Tier 1"
    ]
    roles = dict(q(engine, "SELECT name, buying_role FROM contact"))
    assert roles["Tobias Klein"] == "budget_holder"  # "Budget Holder;Influencer": the more decisive
    assert roles["Mark Ellis"] == "champion"  # End User
    assert roles["Jana Weber"] == "technical"  # no role: inferred from "Leiterin IT-Sicherheit"
    assert q(engine, "SELECT role_inferred FROM contact WHERE name = 'Jana Weber'") == [(True,)]
    deals = q(
        engine, "SELECT hubspot_id, stage, outcome, amount, source FROM opportunity ORDER BY hubspot_id"
    )
    assert deals == [
        ("70001", "presentation scheduled", "open", 185000.0, "marketing"),
        ("70002", "closed won", "won", 24000.0, "sales"),
        ("70003", "closed lost", "lost", 0.0, "marketing"),  # no amount: a warning, not a rejection
    ]
    assert [str(w) for w in summary.warnings] == [
        "hubspot-crm-exports-all-deals-2026-11-20.csv:4: Amount: no amount: imported as 0"
    ]
    again = apply_batch(engine, read_inputs(sorted((SAMPLES / "hubspot").glob("*.csv"))))
    assert all(set(c) == {"unchanged"} for c in again.counts.values())


def test_salesforce_data_export(engine):
    apply_batch(engine, read_inputs(sorted((SAMPLES / "salesforce").glob("*.csv"))))
    # The IsDeleted account is left out; Website becomes a domain; custom columns are ignored.
    assert q(engine, "SELECT name, domain, salesforce_id FROM account ORDER BY name") == [
        ("Lumen Health Systems", "lumenhealth.co.uk", "0015g00000AbCdFAAA"),
        ("Van der Berg Techniek BV", "vanderbergtechniek.nl", "0015g00000AbCdEAAA"),
    ]
    roles = dict(q(engine, "SELECT name, buying_role FROM contact"))
    assert roles == {
        "Joost van der Berg": "decision_maker",  # Algemeen Directeur (inferred)
        "Eva Mulder": "budget_holder",  # Financieel Manager (inferred)
        "Olivia Clarke": "technical",  # OpportunityContactRole: Technical Buyer
        "Priya Khan": "budget_holder",  # OpportunityContactRole: Economic Buyer
    }
    opps = q(engine, "SELECT name, outcome, created_at, close_date, source FROM opportunity ORDER BY name")
    assert [(n, o, str(c), str(d), s) for n, o, c, d, s in opps] == [
        ("Lumen - Expansion", "won", "2026-02-23", "2026-06-30", "partner"),  # 02/23/26 08:55 PM
        ("Van der Berg - Plant monitoring", "open", "2026-09-02", "2026-12-18", "marketing"),
    ]
    history = q(engine, "SELECT stage, entered_at FROM stagechange ORDER BY entered_at")
    assert [(s, str(d)) for s, d in history][:3] == [
        ("prospecting", "2026-02-23"),
        ("negotiation/review", "2026-05-12"),
        ("closed won", "2026-06-30"),
    ]


def test_dutch_excel_semicolons_windows_1252_decimal_commas(engine):
    apply_batch(engine, read_inputs([SAMPLES / "excel-nl"]))
    assert q(engine, "SELECT name, annual_revenue, tier, is_target FROM account ORDER BY source_id") == [
        ("Bakkerij Van Dijk", 12_500_000.0, 2, True),
        ("Koöperatie Zuidland", 145_000_000.5, 1, True),
        ("Café de Hoek", 450_000.0, None, False),
    ]
    assert q(engine, "SELECT amount FROM opportunity") == [(48250.75,)]
    assert sorted(str(r[0])[:16] for r in q(engine, "SELECT occurred_at FROM engagement")) == [
        "2026-10-15 14:30",
        "2026-11-03 00:00",
        "2026-11-20 00:00",
    ]


def test_maven_crm_through_a_mapping_reports_what_it_cannot_place(engine):
    folder = SAMPLES / "maven-crm"
    batch = read_inputs(
        [folder / "accounts.csv", folder / "sales_pipeline.csv"], mapping=MAPPINGS / "maven-crm.toml"
    )
    summary = apply_batch(engine, batch)
    assert summary.counts["accounts.csv"]["created"] == 85
    # 8,800 deals: 1,425 without an account and 500 prospecting ones without a date cannot be placed.
    skipped = [w for w in summary.warnings if w.reason.endswith("row skipped")]
    assert {(w.column, w.reason) for w in skipped} == {
        ("account", "required value is empty: row skipped"),
        ("engage_date", "required value is empty: row skipped"),
    }
    placed = q(engine, "SELECT count(*) FROM opportunity")[0][0]
    assert placed == summary.counts["opportunities.csv"]["created"] == 8800 - len({w.line for w in skipped})
    # Every won and lost deal has its account and dates; the open ones are what is left.
    outcomes = dict(q(engine, "SELECT outcome, count(*) FROM opportunity GROUP BY outcome"))
    assert (outcomes["won"], outcomes["lost"]) == (4238, 2473)
    assert outcomes["open"] == placed - 4238 - 2473
    # Deals found their company by name.
    assert q(engine, "SELECT count(*) FROM opportunity o JOIN account a ON a.id = o.account_id "
                     "WHERE a.name = 'Acme Corporation'")[0][0] > 0  # fmt: skip


def test_unknown_file_and_unmappable_values_are_reported(tmp_path):
    odd = tmp_path / "export.csv"
    odd.write_text("Foo,Bar\n1,2\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("Record ID,Deal Name,Deal Stage,Amount,Create Date,Associated Company IDs\n"
                     "1,X,negotiating-ish,10,2026-01-01,5\n")  # fmt: skip
    with pytest.raises(ImportFailed) as failed:
        apply_batch(open_store("sqlite://")[0], read_inputs([odd, deals]))
    messages = [str(e) for e in failed.value.errors]
    assert messages[0].startswith("deals.csv:2: Deal Stage: cannot map 'negotiating-ish'")
    assert messages[1].startswith("export.csv:1: -: not a file abm-tui recognises")


def test_detection_prefers_the_most_specific_shape():
    assert detect(["Id", "AccountId", "StageName", "Amount"]).name == "Salesforce Opportunity"
    assert detect(["Record ID", "Deal Name", "Deal Stage"]).name == "HubSpot deals"
    assert detect(["Record ID", "First Name", "Last Name", "Email"]).name == "HubSpot contacts"
    assert detect(["whatever"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-23", "2026-02-23 00:00"),
        ("23-02-2026", "2026-02-23 00:00"),
        ("23.02.2026 14:05", "2026-02-23 14:05"),
        ("02/23/26 08:55 PM", "2026-02-23 20:55"),
        ("02/23/2026 12:10 AM", "2026-02-23 00:10"),
        ("2026-02-23T20:55:00.000Z", "2026-02-23 20:55"),
    ],
)
def test_dates_as_crms_and_excel_write_them(raw, expected):
    assert f"{parse_datetime(raw):%Y-%m-%d %H:%M}" == expected


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [("1234.5", None, 1234.5), ("1.234,50", None, 1234.5), ("1234,5", None, 1234.5), ("1,234.50", None, 1234.5),
     ("€ 12.000", True, 12000.0), ("12.000", False, 12.0), ("$ 1,250,000", None, 1250000.0)],
)  # fmt: skip
def test_numbers_with_decimal_commas(raw, decimal_comma, expected):
    assert parse_number(raw, decimal_comma) == expected


@pytest.mark.parametrize(
    ("title", "role"),
    [("Chief Executive Officer", "decision_maker"), ("Managing Director", "decision_maker"),
     ("Geschäftsführer", "decision_maker"), ("Algemeen Directeur", "decision_maker"), ("CFO", "budget_holder"),
     ("Financial Controller", "budget_holder"), ("Hoofd Financiën", "budget_holder"), ("CTO", "technical"),
     ("IT Security Officer", "technical"), ("Leiter IT", "technical"), ("Purchasing Manager", "procurement"),
     ("Leitung Einkauf", "procurement"), ("General Counsel", "legal"), ("Bedrijfsjurist", "legal"),
     ("VP Operations", "influencer"), ("Head of Logistics", "influencer"), ("Data Analyst", "champion"),
     ("Gardener", None)],
)  # fmt: skip
def test_buying_roles_from_titles(title, role):
    assert infer_role(title) == role
