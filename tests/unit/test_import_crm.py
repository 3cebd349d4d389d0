"""CRM exports as people have them (issue 11): Salesforce subsets, HubSpot portals with custom
pipelines and duplicate headers, deals-only files, contacts without companies, Excel re-saves,
bad rows — and a real public data set. Every sample is written from what real exports look like
(fixtures/samples/*/); each test pins counts, outcomes, amounts, dates and the audit."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from abm_tui.importers.errors import ImportFailed
from abm_tui.importers.formats import parse_datetime, parse_number
from abm_tui.importers.mapping import Context, outcome_from_label
from abm_tui.importers.mapping import detect as detect_with
from abm_tui.importers.reader import BUILT_IN, read_inputs
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


def day(value) -> str | None:
    """A stored date as YYYY-MM-DD on SQLite and PostgreSQL alike."""
    return None if value is None else str(value)[:10]


def imported(engine, *paths: Path, **kw):
    summary = apply_batch(engine, read_inputs(list(paths), **kw))
    assert summary.audit.unaccounted() == []  # every row read has exactly one status
    if engine.dialect.name == "sqlite":  # written without SQLite's foreign-key lookups: none broken
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
    return summary


def statuses(summary) -> dict[str, dict[str, int]]:
    return {file: dict(c) for file, c in summary.counts.items()}


def audit_rows(summary, file: str) -> dict[int, tuple[str, str]]:
    """line → (status, reason) as the audit CSV writes them."""
    out = {}
    for line, status, mark in summary.audit.rows(file):
        out[line] = (status, mark.text())
    return out


def detect(header, **kw):
    return detect_with(header, BUILT_IN, **kw)[0]


# --- the bundled samples from earlier issues, still as they were --------------------------------------------


def test_hubspot_exports(engine):
    summary = imported(engine, *sorted((SAMPLES / "hubspot").glob("*.csv")))
    companies = "hubspot-crm-exports-all-companies-2026-11-20.csv"
    assert statuses(summary)[companies] == {"created": 4}
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
    phones = dict(q(engine, "SELECT name, phone FROM contact"))
    assert phones["Anke Schröder"] == "+31 20 555 0100" and phones["Tobias Klein"] is None  # Phone Number
    deals = q(
        engine, "SELECT hubspot_id, stage, outcome, amount, source FROM opportunity ORDER BY hubspot_id"
    )
    assert deals == [
        ("70001", "Presentation Scheduled", "open", 185000.0, "marketing"),  # internal id → HubSpot's label
        ("70002", "Closed Won", "won", 24000.0, "sales"),
        ("70003", "Closed Lost", "lost", 0.0, "marketing"),  # no amount: a warning, not a rejection
    ]
    assert [str(w) for w in summary.warnings] == [
        "hubspot-crm-exports-all-deals-2026-11-20.csv:4: Amount: no amount: imported as 0"
    ]
    again = imported(engine, *sorted((SAMPLES / "hubspot").glob("*.csv")))
    assert all(set(c) == {"unchanged"} for c in again.counts.values())


def test_salesforce_data_export(engine):
    summary = imported(engine, *sorted((SAMPLES / "salesforce").glob("*.csv")))
    # The IsDeleted account is left out; Website becomes a domain; custom columns are ignored.
    assert q(engine, "SELECT name, domain, salesforce_id FROM account ORDER BY name") == [
        ("Lumen Health Systems", "lumenhealth.co.uk", "0015g00000AbCdFAAA"),
        ("Van der Berg Techniek BV", "vanderbergtechniek.nl", "0015g00000AbCdEAAA"),
    ]
    assert audit_rows(summary, "Account.csv")[4] == ("skipped", "marked deleted in the CRM")
    phones = dict(q(engine, "SELECT name, phone FROM contact"))
    assert (phones["Joost van der Berg"], phones["Eva Mulder"]) == (
        "(415) 555-0100",
        "(415) 555-0199",
    )  # mobile
    roles = dict(q(engine, "SELECT name, buying_role FROM contact"))
    assert roles == {
        "Joost van der Berg": "decision_maker",  # Algemeen Directeur (inferred)
        "Eva Mulder": "budget_holder",  # Financieel Manager (inferred)
        "Olivia Clarke": "technical",  # OpportunityContactRole: Technical Buyer
        "Priya Khan": "budget_holder",  # OpportunityContactRole: Economic Buyer
    }
    assert statuses(summary)["OpportunityContactRole.csv"] == {"merged": 2}
    opps = q(engine, "SELECT name, outcome, created_at, close_date, source FROM opportunity ORDER BY name")
    assert [(n, o, day(c), day(d), s) for n, o, c, d, s in opps] == [
        ("Lumen - Expansion", "won", "2026-02-23", "2026-06-30", "partner"),  # 02/23/26 08:55 PM
        ("Van der Berg - Plant monitoring", "open", "2026-09-02", "2026-12-18", "marketing"),
    ]
    history = q(engine, "SELECT stage, entered_at FROM stagechange ORDER BY entered_at")
    assert [(s, day(d)) for s, d in history][:3] == [
        ("Prospecting", "2026-02-23"),  # the CRM's own label, kept as it is
        ("Negotiation/Review", "2026-05-12"),
        ("Closed Won", "2026-06-30"),
    ]


def test_dutch_excel_semicolons_windows_1252_decimal_commas(engine):
    imported(engine, SAMPLES / "excel-nl")
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


# --- Salesforce, exported with a query tool: subsets, no telling file name --------------------------------------


def test_salesforce_query_tool_subset(engine):
    folder = SAMPLES / "salesforce-subset"
    summary = imported(engine, folder)
    assert statuses(summary) == {
        "Account.csv": {"created": 3, "skipped": 1},  # Id and Name are enough; one IsDeleted
        "Contact.csv": {"created": 3, "skipped": 3},
        "Opportunity.csv": {"created": 4, "skipped": 2},
        "OpportunityHistory.csv": {"created": 4, "skipped": 1},
        "extract (3).csv": {"created": 2},  # contacts, known by their 003 ids
    }
    contacts = audit_rows(summary, "Contact.csv")
    assert contacts[5] == (
        "skipped",
        "its company is not in this import or the database: 0018d00000ZZZz9AAA",
    )  # a subset: the account was not exported
    assert contacts[6] == ("skipped", "no company")  # no AccountId, and gmail.com names no company
    assert contacts[7] == ("skipped", "marked deleted in the CRM")
    assert audit_rows(summary, "OpportunityHistory.csv")[6] == (
        "skipped",
        "its deal is not in this import or the database: 0068d00000EFGc9AAA",
    )
    assert q(engine, "SELECT name, region, annual_revenue, employees FROM account ORDER BY name") == [
        ("Harbor Freight Systems", "OR", 58_000_000.0, 420),  # no BillingCountry: the state
        ("Pinecrest Medical Group", "ID", None, 1200),
        ("Summit Ridge Credit Union", "CO", 125_000_000.0, 310),
    ]
    opps = q(
        engine,
        "SELECT name, stage, outcome, amount, created_at, close_date FROM opportunity ORDER BY salesforce_id",
    )
    assert [(n, s, o, a, day(c), day(d)) for n, s, o, a, c, d in opps] == [
        ("Harbor - Fleet telematics", "Closed Won", "won", 48000.0, "2023-09-12", "2024-02-03"),  # 02/03/24
        ("Harbor - Expansion", "Negotiation/Review", "open", 72500.0, "2026-02-23", "2026-03-31"),
        ("Pinecrest - Pilot", "Closed Lost", "lost", 15000.0, "2025-06-01", "2025-11-30"),
        ("Summit - Core banking", "Vendor Selected", "open", 210000.0, "2026-01-15", "2026-06-30"),  # custom
    ]
    assert q(engine, "SELECT count(*) FROM stagechange") == [(4,)]
    assert q(engine, "SELECT name, lost_reason FROM opportunity WHERE lost_reason IS NOT NULL") == [
        ("Pinecrest - Pilot", "Went with incumbent")  # the custom field Loss_Reason__c
    ]
    assert summary.unknown_stages == {}  # IsClosed / IsWon said every outcome
    again = imported(engine, folder)
    assert {f: c.get("created", 0) for f, c in statuses(again).items()} == dict.fromkeys(statuses(again), 0)
    assert q(engine, "SELECT count(*) FROM account") == [(3,)]


def test_messages_name_the_users_own_files_and_columns(tmp_path):
    (tmp_path / "Contact.csv").write_text(
        "Id,AccountId,LastName,Email\n0038d00000CDEb1AAA,,Doe,not-an-email\n"
    )
    (tmp_path / "Opportunity.csv").write_text(
        "Id,AccountId,StageName,Amount,CreatedDate\n0068d00000EFGc1AAA,0018d00000ABCa1AAA,Prospecting,lots,01/02/26\n"
    )
    with pytest.raises(ImportFailed) as failed:
        apply_batch(open_store("sqlite://")[0], read_inputs([tmp_path]))
    assert [str(e) for e in failed.value.errors] == ["Opportunity.csv:2: Amount: 'lots' is not a number"]


# --- HubSpot: custom pipelines, flags, duplicate headers, stage history ------------------------------------------

PIPELINES = SAMPLES / "hubspot-pipelines"
DEALS = "hubspot-crm-exports-all-deals-2026-11-28.csv"


def test_hubspot_custom_pipelines_take_outcomes_from_the_flags(engine):
    summary = imported(engine, PIPELINES)
    assert statuses(summary) == {
        "hubspot-crm-exports-all-companies-2026-11-28.csv": {"created": 6},
        DEALS: {"created": 9, "skipped": 1},
    }
    deals = q(
        engine,
        "SELECT o.hubspot_id, o.stage, o.outcome, o.amount, o.currency, o.close_date, a.hubspot_id "
        "FROM opportunity o JOIN account a ON a.id = o.account_id ORDER BY o.hubspot_id",
    )
    assert [(i, s, o, a, c, day(d), co) for i, s, o, a, c, d, co in deals] == [
        ("101", "Qualified", "open", 12000.0, "EUR", "2025-06-30", "501"),
        ("102", "Contract Signed", "open", 45000.0, "EUR", "2025-09-30", "502"),  # open in Sales Pipeline
        ("103", "Contract Signed", "won", 18000.0, "GBP", "2025-04-30", "503"),  # "Contract Signed " won
        ("104", "Closed Won", "won", 30000.0, "EUR", "2025-05-20", "504"),
        ("105", "Closed Lost", "lost", 22000.0, "EUR", "2025-05-01", "505"),
        ("106", "Closed Lost", "open", 9000.0, "EUR", "2026-03-01", "501"),  # "Closed Lost " is not closed
        ("107", "Closed Lost", "lost", 7000.0, "EUR", "2025-07-07", "502"),  # close date: entered Closed Lost
        ("108", "Closed Lost", "lost", 5000.0, "EUR", None, "503"),  # none known: in no period
        ("110", "Closed Won", "won", 0.0, "EUR", "2025-08-01", "506"),
    ]
    # Deal 103's companies are in the second copy of the duplicated columns only; 102 names two.
    assert summary.unknown_stages == {}
    history = q(
        engine,
        "SELECT o.hubspot_id, s.stage, s.entered_at FROM stagechange s JOIN opportunity o "
        "ON o.id = s.opportunity_id ORDER BY o.hubspot_id, s.entered_at",
    )
    assert [(i, s, day(d)) for i, s, d in history] == [
        ("101", "Qualified", "2025-01-10"),
        ("102", "Qualified", "2025-02-01"),
        ("102", "Contract Signed", "2025-03-15"),
        ("103", "Negotiation", "2025-03-01"),
        ("103", "Contract Signed", "2025-04-30"),
        ("104", "Qualified", "2025-01-15"),
        ("104", "Closed Won", "2025-05-20"),
        ("105", "Qualified", "2025-02-10"),
        ("105", "Closed Lost", "2025-05-01"),
        ("106", "Negotiation", "2025-03-01"),
        ("106", "Closed Lost", "2025-06-01"),
        ("107", "Qualified", "2025-04-01"),
        ("107", "Closed Lost", "2025-07-07"),
        ("110", "Qualified", "2025-05-05"),
        ("110", "Closed Won", "2025-08-01"),
    ]  # deal 109 (no company) was skipped, and its history with it
    assert summary.audit.derived[(DEALS, 'stage changes from its "Date entered" columns')] == 15
    assert q(
        engine, "SELECT hubspot_id, lost_reason FROM opportunity WHERE lost_reason <> '' ORDER BY 1"
    ) == [
        ("105", "Budget"),
        ("107", "Timing"),
    ]  # Closed Lost Reason
    assert audit_rows(summary, DEALS)[10] == ("skipped", "no company")
    assert audit_rows(summary, DEALS)[9] == (
        "created",
        "Close Date: lost without a close date: imported, counted in no period",
    )
    names = q(engine, "SELECT hubspot_id, name, region FROM account ORDER BY hubspot_id")
    assert names[3] == ("504", "Unnamed company 504", "Belgium")  # a company without a name
    assert [n for _, n, _ in names].count("Acme BV") == 2  # one name, two companies: both kept
    again = imported(engine, PIPELINES)
    assert statuses(again)[DEALS] == {"unchanged": 9, "skipped": 1}
    assert q(engine, "SELECT count(*) FROM stagechange") == [(15,)]


def test_duplicate_headers_are_all_read(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Record ID,Deal Name,Deal Stage,Create Date,Associated Company IDs,Associated Company,Associated Company IDs,"
        "Associated Company\n1,X,Qualified,2025-01-01,,,7;8,Seven;Eight\n2,Y,Qualified,2025-01-01,9,Nine,9,Nine\n"
    )
    batch = read_inputs([deals])
    by_deal = {
        r["opportunity_id"]: r["account_id"] for r in batch.frame("opportunities.csv").to_dict("records")
    }
    assert by_deal == {"hubspot:1": "hubspot:7", "hubspot:2": "hubspot:9"}
    companies = {r["account_id"]: r["name"] for r in batch.frame("accounts.csv").to_dict("records")}
    assert companies == {"hubspot:7": "Seven", "hubspot:9": "Nine"}


def test_a_saved_view_with_only_is_deal_closed_reads_won_from_the_label(engine):
    summary = imported(engine, SAMPLES / "hubspot-view")
    deals = q(engine, "SELECT hubspot_id, stage, outcome FROM opportunity ORDER BY hubspot_id")
    assert deals == [
        ("201", "Closed: won", "won"),
        ("202", "Closed: lost", "lost"),
        ("203", "Closed: abandoned", "open"),  # Is Deal Closed? false
        ("204", "Proposal sent", "open"),
    ]
    assert summary.unknown_stages == {}  # the flag decided every row
    assert q(engine, "SELECT hubspot_id, name FROM account ORDER BY hubspot_id") == [
        ("601", "Foxtrot AG"),
        ("602", "Golf Industries"),
        ("603", "Hotel & Co"),
    ]


def test_deals_only_create_the_companies_they_name(engine, tmp_path):
    folder = SAMPLES / "hubspot-deals-only"
    file = "hubspot-crm-exports-deals-2026-11-30.csv"
    summary = imported(engine, folder)
    assert statuses(summary) == {file: {"created": 9, "skipped": 5}}
    assert summary.audit.derived[(file, "companies created from the deals' Associated Company")] == 7
    assert q(engine, "SELECT count(*), count(hubspot_id) FROM account") == [(7, 7)]
    outcomes = q(engine, "SELECT hubspot_id, outcome FROM opportunity ORDER BY hubspot_id")
    assert outcomes == [
        ("301", "won"),  # Closed won
        ("302", "won"),  # closedwon
        ("303", "lost"),  # Verloren
        ("304", "won"),  # Gewonnen
        ("305", "lost"),  # Closed lost
        ("306", "open"),  # Appointment scheduled
        ("307", "open"),  # Pilot running: unknown, imported as open and listed
        ("308", "open"),
        ("309", "open"),
    ]
    assert dict(summary.unknown_stages) == {(file, "Pilot running"): 3}
    assert [line for line, (status, _) in audit_rows(summary, file).items() if status == "skipped"] == [
        11,
        12,
        13,
        14,
        15,
    ]
    # --write-map writes exactly those labels; mapped to won, they import as won.
    from abm_tui.importers.mapping import write_map

    mapping = tmp_path / "stages.toml"
    write_map(summary.unknown_stages, mapping)
    assert '"Pilot running" = "open"  # 3 row(s) in ' + file in mapping.read_text()
    mapping.write_text(mapping.read_text().replace('= "open"', '= "won"'))
    again = imported(engine, folder, mapping=mapping)
    assert again.unknown_stages == {}
    assert q(engine, "SELECT count(*) FROM opportunity WHERE outcome = 'won'") == [(5,)]


def test_contacts_without_a_company_are_placed_by_email_domain(engine):
    """An Excel re-save: BOM, CRLF, M/D/YYYY H:MM dates, a line break inside a quoted title."""
    companies = SAMPLES / "hubspot" / "hubspot-crm-exports-all-companies-2026-11-20.csv"
    summary = imported(engine, companies, SAMPLES / "hubspot-contacts-excel")
    rows = audit_rows(summary, "contacts-export.csv")
    assert rows == {
        2: ("created", "company found by e-mail domain brightwater.io"),
        4: ("created", "company found by e-mail domain nordwind-logistics.de"),  # line 3 ends line 2's title
        5: ("skipped", "no company"),  # gmail.com: a free-mail domain says nothing
        6: ("skipped", "no company"),  # a domain no account has
        7: ("created", "company found by e-mail domain clearpathretail.com"),
    }
    placed = q(
        engine,
        "SELECT c.name, c.title, c.buying_role, a.name FROM contact c JOIN account a ON a.id = c.account_id "
        "ORDER BY c.hubspot_id",
    )
    assert placed == [
        ("Anna Visser", "Head of\nProcurement", "procurement", "Brightwater Analytics"),
        ("Piet Kramer", "CFO", "budget_holder", "Nordwind Logistics"),
        ("Marta Eller", "Store manager", "influencer", "Clearpath Retail"),
    ]
    assert "3 contact(s) placed at their company by e-mail domain" in summary.notes


def test_bad_rows_reject_the_run_unless_skipped(engine, tmp_path):
    folder = SAMPLES / "bad-rows"
    with pytest.raises(ImportFailed) as failed:
        apply_batch(engine, read_inputs([folder]))
    assert [str(e) for e in failed.value.errors] == [
        "deals-with-bad-rows.csv:3: Amount: 'twelve thousand' is not a number",
        "deals-with-bad-rows.csv:4: Create Date: '2025-02-30' is not a date "
        "(YYYY-MM-DD, DD-MM-YYYY, DD.MM.YYYY or MM/DD/YYYY)",
    ]
    assert q(engine, "SELECT count(*) FROM opportunity") == [(0,)]
    summary = imported(engine, folder, skip_bad_rows=True)
    file = "deals-with-bad-rows.csv"
    assert statuses(summary) == {file: {"created": 2, "skipped": 2}}
    assert audit_rows(summary, file)[3] == ("skipped", "bad row (Amount): 'twelve thousand' is not a number")
    assert q(engine, "SELECT hubspot_id, outcome, amount FROM opportunity ORDER BY 1") == [
        ("401", "won", 25000.0),
        ("404", "open", 16000.0),
    ]
    out = tmp_path / "audit.csv"
    summary.audit.write_csv(out)
    with out.open(newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["file", "line", "status", "reason"],
            [file, "2", "created", ""],
            [file, "3", "skipped", "bad row (Amount): 'twelve thousand' is not a number"],
            [
                file,
                "4",
                "skipped",
                "bad row (Create Date): '2025-02-30' is not a date (YYYY-MM-DD, DD-MM-YYYY, "
                "DD.MM.YYYY or MM/DD/YYYY)",
            ],
            [file, "5", "created", ""],
        ]


def test_an_unrecognised_file_is_one_message_and_its_rows_are_counted(engine, tmp_path):
    odd = tmp_path / "Account.csv"  # named like Salesforce's, but without the columns it needs
    odd.write_text("Id,IsDeleted,Type,BillingCity\n0018d00000ABCa1AAA,false,Prospect,Portland\n")
    contacts = tmp_path / "Contact.csv"
    contacts.write_text("Id,AccountId,LastName\n0038d00000CDEb1AAA,0018d00000ABCa1AAA,Doe\n")
    other = tmp_path / "notes.csv"
    other.write_text("Foo,Bar\n1,2\n3,4\n")
    summary = imported(engine, tmp_path)
    messages = [str(w) for w in summary.warnings]
    assert messages == [
        "Account.csv:1: -: looks like Salesforce Account (Account*.csv or ids starting 001, with Id and Name) "
        "but has no Name column (its columns: Id, IsDeleted, Type, BillingCity); its rows were not imported",
        "notes.csv:1: -: not recognised (its columns: Foo, Bar); its rows were not imported. abm-tui reads "
        "HubSpot and Salesforce exports and the generic format (README: Your own data); describe other "
        "files in a mapping and pass it with --map",
    ]
    assert statuses(summary) == {
        "Account.csv": {"skipped": 1},
        "Contact.csv": {"skipped": 1},
        "notes.csv": {"skipped": 2},
    }
    from abm_tui.importers.report import outcome_lines

    text_ = "\n".join(outcome_lines(summary))
    assert "Account.csv, notes.csv not recognised: rows of Contact.csv whose company is missing" in text_
    assert "contacts.csv" not in text_ and "opportunities.csv" not in text_  # never our internal names


# --- the real public data set ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_folder", [False, True])
def test_maven_crm_through_a_mapping(engine, as_folder):
    folder = SAMPLES / "maven-crm"
    paths = [folder] if as_folder else [folder / "accounts.csv", folder / "sales_pipeline.csv"]
    summary = imported(engine, *paths, mapping=MAPPINGS / "maven-crm.toml")
    counts = statuses(summary)
    assert counts["accounts.csv"] == {"created": 85}
    # 8,800 deals: 1,088 name no company; 500 prospecting ones have no date (bad rows the mapping skips).
    assert counts["sales_pipeline.csv"] == {"created": 7212, "skipped": 1588}
    reasons = {(g.reason, len(g.lines)) for g in summary.audit.groups(("skipped",))}
    assert reasons == {("no company", 1088), ("bad row (engage_date)", 500)}
    outcomes = dict(q(engine, "SELECT outcome, count(*) FROM opportunity GROUP BY outcome"))
    assert (outcomes["won"], outcomes["lost"], outcomes["open"]) == (4238, 2473, 7212 - 4238 - 2473)
    # Deals found their company by name.
    assert (
        q(
            engine,
            "SELECT count(*) FROM opportunity o JOIN account a ON a.id = o.account_id "
            "WHERE a.name = 'Acme Corporation'",
        )[0][0]
        > 0
    )


# --- recognition, labels, dates, numbers, roles ---------------------------------------------------------------


def test_detection_prefers_the_most_specific_shape():
    assert detect(["Id", "AccountId", "StageName", "Amount"]).name == "Salesforce Opportunity"
    assert detect(["Record ID", "Deal Name", "Deal Stage"]).name == "HubSpot deals"
    assert detect(["Record ID", "First Name", "Last Name", "Email"]).name == "HubSpot contacts"
    assert detect(["whatever"]) is None


def test_salesforce_objects_by_file_name_and_by_record_ids():
    header = ["Id", "Name", "Industry"]
    assert detect(header, file_name="Account.csv").name == "Salesforce Account"
    assert detect(header, file_name="Account_2026-11-30.csv").name == "Salesforce Account"
    assert detect(header, file_name="query.csv", rows=[(2, {"Id": "001A"}), (3, {"Id": "001B"})]).name == (
        "Salesforce Account"
    )
    assert detect(header, file_name="query.csv", rows=[(2, {"Id": "003A"})]).name == "Salesforce Contact"
    assert detect(header, file_name="query.csv", rows=[(2, {"Id": "a0B5"})]) is None  # a custom object
    hist = ["Id", "OpportunityId", "StageName", "CreatedDate"]
    assert detect(hist, file_name="OpportunityHistory.csv").name == "Salesforce OpportunityHistory"
    # Opportunity*.csv does not claim OpportunityLineItem.csv's lines as opportunities by name alone.
    assert detect(["Id", "StageName"], file_name="OpportunityHistory.csv") is None


@pytest.mark.parametrize(
    ("label", "outcome"),
    [
        ("Closed won", "won"),
        ("Closed: won", "won"),
        ("closedwon", "won"),
        ("Gewonnen", "won"),
        ("Abgeschlossen und gewonnen", "won"),
        ("Verloren", "lost"),
        ("Closed Lost", "lost"),
        ("closedlost", "lost"),
        ("Closed: lost", "lost"),
        ("Appointment scheduled", "open"),
        ("Negotiation/Review", "open"),
        ("Pilot running", None),
        ("Closed: abandoned", None),
    ],
)
def test_outcomes_from_labels_when_there_is_no_flag(label, outcome):
    assert outcome_from_label(label) == outcome
    assert outcome_from_label(label, Context(outcomes={label.lower(): "lost"})) == "lost"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-23", "2026-02-23 00:00"),
        ("23-02-2026", "2026-02-23 00:00"),
        ("23.02.2026 14:05", "2026-02-23 14:05"),
        ("02/23/26 08:55 PM", "2026-02-23 20:55"),
        ("02/23/2026 12:10 AM", "2026-02-23 00:10"),
        ("2026-02-23T20:55:00.000Z", "2026-02-23 20:55"),
        ("3/7/2025 9:05", "2025-03-07 09:05"),  # Excel's re-save of a US export
    ],
)
def test_dates_as_crms_and_excel_write_them(raw, expected):
    assert f"{parse_datetime(raw):%Y-%m-%d %H:%M}" == expected


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [
        ("1234.5", None, 1234.5),
        ("1.234,50", None, 1234.5),
        ("1234,5", None, 1234.5),
        ("1,234.50", None, 1234.5),
        ("€ 12.000", True, 12000.0),
        ("12.000", False, 12.0),
        ("$ 1,250,000", None, 1250000.0),
    ],
)
def test_numbers_with_decimal_commas(raw, decimal_comma, expected):
    assert parse_number(raw, decimal_comma) == expected


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Chief Executive Officer", "decision_maker"),
        ("Managing Director", "decision_maker"),
        ("Geschäftsführer", "decision_maker"),
        ("Algemeen Directeur", "decision_maker"),
        ("CFO", "budget_holder"),
        ("Financial Controller", "budget_holder"),
        ("Hoofd Financiën", "budget_holder"),
        ("CTO", "technical"),
        ("IT Security Officer", "technical"),
        ("Leiter IT", "technical"),
        ("Purchasing Manager", "procurement"),
        ("Leitung Einkauf", "procurement"),
        ("General Counsel", "legal"),
        ("Bedrijfsjurist", "legal"),
        ("VP Operations", "influencer"),
        ("Head of Logistics", "influencer"),
        ("Data Analyst", "champion"),
        ("Gardener", None),
    ],
)
def test_buying_roles_from_titles(title, role):
    assert infer_role(title) == role


def test_dates_are_dates(engine):
    imported(engine, SAMPLES / "hubspot-view")
    (created,) = q(engine, "SELECT created_at FROM opportunity WHERE hubspot_id = '201'")[0]
    assert day(created) == date(2025, 3, 1).isoformat()


def test_warnings_about_rows_that_were_skipped_anyway_are_left_out(engine):
    folder = SAMPLES / "maven-crm"
    summary = imported(engine, folder, mapping=MAPPINGS / "maven-crm.toml")
    rows = audit_rows(summary, "sales_pipeline.csv")
    assert rows[11] == ("skipped", "no company")  # no close value either, but it was never imported
    no_amount = [w for w in summary.warnings if w.reason == "no amount: imported as 0"]
    assert no_amount and all(rows[w.line][0] == "created" for w in no_amount)


def test_a_whole_file_problem_is_in_the_audit_and_audits_never_overwrite(tmp_path, capsys):
    from abm_tui.cli import main

    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "odd.csv").write_text("Foo,Bar\n1,2\n")
    assert main(["import", str(tmp_path / "odd.csv"), "--db", str(tmp_path / "a.sqlite")]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"Nothing imported from {tmp_path / 'odd.csv'}: no file was recognised.")
    assert main(["import", str(tmp_path / "empty.csv"), "--db", str(tmp_path / "a.sqlite")]) == 1
    audits = sorted(tmp_path.glob("import-audit-*.csv"))
    assert len(audits) == 2  # even within one second
    texts = [a.read_text() for a in audits]
    assert any("odd.csv,2,skipped,file not recognised" in t for t in texts)
    assert any("empty.csv,1,error,the file is empty (a header row is required)" in t for t in texts)
