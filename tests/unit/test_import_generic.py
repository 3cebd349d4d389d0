"""The generic CSV import (DESIGN §6): parse, validate, upsert all-or-nothing into a real SQLite file."""

from __future__ import annotations

import re
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from abm_tui.importers.errors import ImportFailed, RowError
from abm_tui.importers.generic import read_folder
from abm_tui.store.db import open_store
from abm_tui.store.imports import apply_batch
from abm_tui.store.models import metadata

ERROR_FORMAT = re.compile(r"^[\w.]+\.csv:\d+: [\w-]+: \S.*$")


@pytest.fixture
def engine(db_url):
    """Each test runs on SQLite and on PostgreSQL."""
    engine, _ = open_store(db_url)
    yield engine
    engine.dispose()


def write(folder: Path, **files: str | bytes) -> Path:
    """write(folder, accounts="...") writes accounts.csv (dedented); bytes are written as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        path = folder / f"{stem}.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


GOOD = {
    "accounts": """
        account_id,name,domain,industry,employees,annual_revenue,region,owner_sales,owner_marketing,is_target,tier,icp_fit,churned_at
        A1,Acme,https://www.Acme.com/about,Manufacturing,500,1000000,EMEA,sam,mia,true,1,5,
        A2,Beta,beta.io,Software,50,,NA,sam,mia,true,2,3,
        A3,Gamma,gamma.de,Retail,,,EMEA,tom,mia,false,,2,
        A4,Delta,,Retail,10,,EMEA,tom,mia,,,,2024-02-01
        """,
    "contacts": """
        contact_id,account_id,name,title,email,buying_role
        C1,A1,Ann,CEO,Ann@Acme.com,Decision Maker
        C2,A1,Bob,CTO,bob@acme.com,technical
        C3,A2,Cid,CFO,cid@beta.io,budget_holder
        C4,A2,Dee,Analyst,dee@beta.io,
        """,
    "engagements": """
        account_id,contact_id,occurred_at,channel,intent,description
        A1,C1,2024-05-01,web,strategic,pricing page
        A1,C2,2024-05-10T10:00,email,mid,webinar
        A1,,2024-05-11,ads,light,impression
        A1,,2024-05-11,ads,light,impression
        A2,C3,2024-04-01,event,mid,booth
        """,
    "opportunities": """
        opportunity_id,account_id,name,amount,currency,stage,created_at,close_date,outcome,source
        O1,A1,Acme deal,50000,EUR,proposal,2024-03-01,2024-07-01,open,marketing
        O2,A2,Beta deal,20000.50,EUR,closed_won,2024-01-01,2024-04-15,won,sales
        """,
    "stage_changes": """
        opportunity_id,stage,entered_at
        O1,qualification,2024-03-01
        O1,proposal,2024-04-01
        O2,qualification,2024-01-01
        O2,closed_won,2024-04-15
        """,
    "settings": """
        key,value
        window_days,60
        as_of,2024-06-01
        user_name,Sam
        """,
}
TABLES = [t for t in metadata.sorted_tables]


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a rejected import changed nothing at all."""
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr) for t in TABLES}


def _plain(value):
    """Raw SQL values as SQLite returns them, so one expectation holds on both databases."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(_plain(v) for v in r) for r in conn.execute(text(sql), params).all()]


def run(engine, folder: Path, **kw):
    batch = read_folder(folder)
    return apply_batch(engine, batch, **kw)


def rejected(engine, folder: Path) -> list[RowError]:
    with pytest.raises(ImportFailed) as info:
        run(engine, folder)
    for e in info.value.errors:
        assert ERROR_FORMAT.match(str(e)), str(e)
    return info.value.errors


def where(errors: list[RowError]) -> set[tuple[str, int, str]]:
    return {(e.file, e.line, e.column) for e in errors}


# --- happy path ---------------------------------------------------------------------------------------


def test_happy_path_counts(engine, tmp_path):
    summary = run(engine, write(tmp_path / "in", **GOOD))
    got = {f: dict(c) for f, c in summary.counts.items()}
    assert got == {
        "accounts.csv": {"created": 4},
        "contacts.csv": {"created": 4},
        "engagements.csv": {"created": 5},
        "opportunities.csv": {"created": 2},
        "stage_changes.csv": {"created": 4},
        "settings.csv": {"created": 3},
    }
    c = counts(engine)
    assert (
        c["account"],
        c["contact"],
        c["engagement"],
        c["opportunity"],
        c["stagechange"],
        c["setting"],
    ) == (
        4,
        4,
        5,
        2,
        4,
        3 + 3,
    )  # 3 settings from the file, 3 facts the import records: newest activity, engagements, currency
    assert c["decision"] == 0


def test_values_are_parsed_and_normalised(engine, tmp_path):
    run(engine, write(tmp_path / "in", **GOOD))
    accts = {
        r[0]: r[1:]
        for r in rows(
            engine,
            "SELECT source_id, domain, is_target, tier, icp_fit, employees, "
            "annual_revenue, status, version FROM account",
        )
    }
    assert accts["A1"] == ("acme.com", 1, 1, 5, 500, 1_000_000.0, "active", 1)
    assert accts["A3"] == ("gamma.de", 0, None, 2, None, None, "active", 1)
    assert accts["A4"][:3] == (None, 0, None)  # no tier, no is_target → not a target
    assert rows(engine, "SELECT churned_at FROM account WHERE source_id = 'A4'") == [("2024-02-01",)]
    roles = dict(rows(engine, "SELECT source_id, buying_role FROM contact"))
    # C4 has no role but the title "Analyst": inferred as champion (issue 5), and marked as inferred.
    assert roles == {"C1": "decision_maker", "C2": "technical", "C3": "budget_holder", "C4": "champion"}
    assert rows(engine, "SELECT role_inferred FROM contact WHERE source_id = 'C4'") == [(1,)]
    assert rows(engine, "SELECT email FROM contact WHERE source_id = 'C1'") == [("ann@acme.com",)]
    anonymous = rows(engine, "SELECT count(*) FROM engagement WHERE contact_id IS NULL")
    assert anonymous == [(2,)]
    assert rows(engine, "SELECT amount, outcome, source FROM opportunity WHERE source_id = 'O2'") == [
        (20000.5, "won", "sales")
    ]


def test_settings_csv_sets_settings(engine, tmp_path):
    run(engine, write(tmp_path / "in", **GOOD))
    assert dict(rows(engine, "SELECT key, value FROM setting WHERE key NOT LIKE 'data.%'")) == {
        "window_days": "60",
        "as_of": "2024-06-01",
        "user_name": "Sam",
    }
    write(tmp_path / "in", settings="key,value\nwindow_days,45\n")
    summary = run(engine, tmp_path / "in")
    assert dict(summary.counts["settings.csv"]) == {"updated": 1}
    assert dict(rows(engine, "SELECT key, value FROM setting"))["window_days"] == "45"


def test_only_accounts_csv_is_required(engine, tmp_path):
    summary = run(engine, write(tmp_path / "in", accounts="account_id,name\nA1,Acme\n"))
    assert dict(summary.counts["accounts.csv"]) == {"created": 1}
    assert counts(engine)["account"] == 1


def test_header_only_file_is_fine(engine, tmp_path):
    run(
        engine,
        write(tmp_path / "in", accounts="account_id,name\nA1,Acme\n", contacts="contact_id,account_id\n"),
    )
    assert counts(engine)["contact"] == 0


def test_utf8_bom_and_non_ascii_names(engine, tmp_path):
    write(tmp_path / "in", accounts="\ufeffaccount_id,name\nA1,Müller & Söhne 株式会社\n")
    run(engine, tmp_path / "in")
    assert rows(engine, "SELECT name FROM account") == [("Müller & Söhne 株式会社",)]


def test_missing_accounts_csv_is_an_error(engine, tmp_path):
    errors = rejected(engine, write(tmp_path / "in", contacts="contact_id,account_id\nC1,A1\n"))
    assert any(e.file == "accounts.csv" for e in errors)


# --- idempotency and upserts ----------------------------------------------------------------------------


def test_reimport_is_idempotent(engine, tmp_path):
    folder = write(tmp_path / "in", **GOOD)
    run(engine, folder)
    first = snapshot(engine)
    summary = run(engine, folder)
    for file, c in summary.counts.items():
        assert set(c) == {"unchanged"}, (file, c)
    assert sum(c["unchanged"] for c in summary.counts.values()) == 4 + 4 + 5 + 2 + 4 + 3
    assert snapshot(engine) == first  # same rows, same versions, same updated_at


def test_upsert_updates_a_changed_name_and_bumps_version(engine, tmp_path):
    folder = write(tmp_path / "in", **GOOD)
    run(engine, folder)
    (before,) = rows(engine, "SELECT id, version, updated_at FROM account WHERE source_id = 'A2'")
    write(folder, accounts=GOOD["accounts"].replace("A2,Beta,", "A2,Beta Systems,"))
    summary = run(engine, folder)
    assert dict(summary.counts["accounts.csv"]) == {"updated": 1, "unchanged": 3}
    (after,) = rows(engine, "SELECT id, name, version, updated_at FROM account WHERE source_id = 'A2'")
    assert after[0] == before[0]
    assert after[1] == "Beta Systems"
    assert after[2] == before[1] + 1
    assert after[3] >= before[2]
    assert counts(engine)["account"] == 4
    # the others keep version 1
    assert rows(engine, "SELECT DISTINCT version FROM account WHERE source_id != 'A2'") == [(1,)]


def test_upsert_by_domain_when_the_id_is_new(engine, tmp_path):
    run(engine, write(tmp_path / "one", **GOOD))
    (a2,) = rows(engine, "SELECT id, version FROM account WHERE domain = 'beta.io'")
    write(
        tmp_path / "two", accounts="account_id,name,domain,tier\nHS-77,Beta Renamed,https://WWW.Beta.io/,2\n"
    )
    summary = run(engine, tmp_path / "two")
    assert dict(summary.counts["accounts.csv"]) == {"merged": 1}  # into the account that has the domain
    assert counts(engine)["account"] == 4
    (after,) = rows(engine, "SELECT id, name, version FROM account WHERE domain = 'beta.io'")
    assert after == (a2[0], "Beta Renamed", a2[1] + 1)


def test_contacts_in_the_same_run_can_use_the_new_id_of_a_domain_match(engine, tmp_path):
    run(engine, write(tmp_path / "one", **GOOD))
    write(
        tmp_path / "two",
        accounts="account_id,name,domain,tier\nHS-77,Beta,beta.io,2\n",
        contacts="contact_id,account_id,name\nC9,HS-77,Eve\n",
    )
    run(engine, tmp_path / "two")
    assert rows(
        engine, "SELECT a.domain FROM contact c JOIN account a ON a.id = c.account_id WHERE c.source_id='C9'"
    ) == [("beta.io",)]


def test_contact_update_is_counted_and_applied(engine, tmp_path):
    folder = write(tmp_path / "in", **GOOD)
    run(engine, folder)
    write(
        folder,
        contacts=GOOD["contacts"].replace(
            "C4,A2,Dee,Analyst,dee@beta.io,", "C4,A2,Dee,Analyst,dee@beta.io,Champion"
        ),
    )
    summary = run(engine, folder)
    assert dict(summary.counts["contacts.csv"]) == {"updated": 1, "unchanged": 3}
    assert rows(engine, "SELECT buying_role FROM contact WHERE source_id = 'C4'") == [("champion",)]


def test_reimport_with_fewer_columns_keeps_what_the_file_does_not_mention(engine, tmp_path):
    """A re-import of fewer columns leaves the others as they are (a plain "account_id,name" refresh
    must not wipe the ABM list)."""
    run(engine, write(tmp_path / "one", **GOOD))
    write(tmp_path / "two", accounts="account_id,name\nA1,Acme Corporation\n")
    run(engine, tmp_path / "two")
    assert rows(
        engine, "SELECT name, is_target, tier, icp_fit, industry, domain FROM account WHERE source_id='A1'"
    ) == [("Acme Corporation", 1, 1, 5, "Manufacturing", "acme.com")]


def test_domain_moving_to_a_new_account_in_the_same_file_does_not_merge_them(engine, tmp_path):
    """A domain moving to a new account in the same file: one update and one create, never a merge."""
    write(tmp_path / "one", accounts="account_id,name,domain\nA1,Acme,acme.com\n")
    run(engine, tmp_path / "one")
    write(tmp_path / "two", accounts="account_id,name,domain\nA1,Acme,acme.org\nX7,Newco,acme.com\n")
    try:
        run(engine, tmp_path / "two")
    except ImportFailed:
        # rejecting the file with a clear error would also be acceptable; then nothing may change
        assert rows(engine, "SELECT source_id, name, domain FROM account") == [("A1", "Acme", "acme.com")]
        return
    assert sorted(rows(engine, "SELECT source_id, name, domain FROM account")) == [
        ("A1", "Acme", "acme.org"),
        ("X7", "Newco", "acme.com"),
    ]


def test_two_companies_with_one_domain_are_both_imported_as_possible_duplicates(engine, tmp_path):
    """Duplicates are data (issue 11): both rows land, the audit says they may be one company."""
    write(tmp_path / "in", accounts="account_id,name,domain\nA1,Acme,acme.com\nA2,Acme EU,https://acme.com\n")
    summary = run(engine, tmp_path / "in")
    assert dict(summary.counts["accounts.csv"]) == {"created": 2}
    assert sorted(rows(engine, "SELECT source_id, domain FROM account")) == [
        ("A1", "acme.com"),
        ("A2", "acme.com"),
    ]
    notes = {line: summary.audit.marks[("accounts.csv", line)].notes for line in (2, 3)}
    assert notes == {
        2: ["possible duplicate: acme.com is also Acme EU"],
        3: ["possible duplicate: acme.com is also Acme"],
    }
    assert summary.notes == [
        "2 account(s) share their domain with another: possible duplicates (see the audit)"
    ]
    # A new id with that domain no longer matches by domain: which of the two would it be?
    summary = run(engine, write(tmp_path / "more", accounts="account_id,name,domain\nA3,Acme NL,acme.com\n"))
    assert dict(summary.counts["accounts.csv"]) == {"created": 1}
    assert counts(engine)["account"] == 3


def test_a_domain_another_account_has_is_taken_and_reported(engine, tmp_path):
    run(
        engine,
        write(tmp_path / "one", accounts="account_id,name,domain\nA1,Acme,acme.com\nA2,Beta,beta.io\n"),
    )
    summary = run(engine, write(tmp_path / "two", accounts="account_id,name,domain\nA1,Acme,beta.io\n"))
    assert dict(summary.counts["accounts.csv"]) == {"updated": 1}
    assert sorted(rows(engine, "SELECT source_id, domain FROM account")) == [
        ("A1", "beta.io"),
        ("A2", "beta.io"),
    ]
    assert summary.audit.marks[("accounts.csv", 2)].notes == ["possible duplicate: beta.io is also Beta"]


# --- dry run ----------------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_but_reports_what_would_change(engine, tmp_path):
    before = snapshot(engine)
    summary = run(engine, write(tmp_path / "in", **GOOD), dry_run=True)
    assert summary.dry_run
    assert dict(summary.counts["accounts.csv"]) == {"created": 4}
    assert snapshot(engine) == before


def test_dry_run_of_an_update_writes_nothing(engine, tmp_path):
    folder = write(tmp_path / "in", **GOOD)
    run(engine, folder)
    before = snapshot(engine)
    write(folder, accounts=GOOD["accounts"].replace("A2,Beta,", "A2,Beta Systems,"))
    summary = run(engine, folder, dry_run=True)
    assert dict(summary.counts["accounts.csv"]) == {"updated": 1, "unchanged": 3}
    assert snapshot(engine) == before


# --- bad rows: each one reported as file:line: column: reason, nothing written -----------------------------


@pytest.fixture
def loaded(engine, tmp_path):
    """A database that already holds the good folder, and its full contents."""
    run(engine, write(tmp_path / "good", **GOOD))
    return snapshot(engine)


BAD_CASES = {
    "missing required column": (
        {"accounts": "account_id,domain\nA9,nine.com\n"},
        {("accounts.csv", 1, "name")},
    ),
    "bad date": (
        {"accounts": "account_id,name,churned_at\nA9,Nine,2024-02-30\n"},
        {("accounts.csv", 2, "churned_at")},
    ),
    "tier 4": (
        {"accounts": "account_id,name,tier\nA9,Nine,4\n"},
        {("accounts.csv", 2, "tier")},
    ),
    "icp_fit 0": (
        {"accounts": "account_id,name,icp_fit\nA9,Nine,0\n"},
        {("accounts.csv", 2, "icp_fit")},
    ),
    "unknown intent": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "engagements": "account_id,contact_id,occurred_at,channel,intent\nA1,,2024-05-01,web,hot\n",
        },
        {("engagements.csv", 2, "intent")},
    ),
    "unknown outcome": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "opportunities": "opportunity_id,account_id,amount,stage,created_at,outcome\nO9,A1,10,proposal,2024-01-01,pending\n",
        },
        {("opportunities.csv", 2, "outcome")},
    ),
    "non-number amount": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "opportunities": "opportunity_id,account_id,amount,stage,created_at,outcome\nO9,A1,lots,proposal,2024-01-01,open\n",
        },
        {("opportunities.csv", 2, "amount")},
    ),
    "unknown account id in contacts": (
        {"accounts": "account_id,name\nA1,Acme\n", "contacts": "contact_id,account_id\nC9,NOPE\n"},
        {("contacts.csv", 2, "account_id")},
    ),
    "duplicate id in one file": (
        {"accounts": "account_id,name\nA9,Nine\nA8,Eight\nA9,Nine again\n"},
        {("accounts.csv", 4, "account_id")},
    ),
    "empty file": (
        {"accounts": "account_id,name\nA9,Nine\n", "contacts": ""},
        {("contacts.csv", 1, "-")},
    ),
    # Windows-1252 is accepted since issue 5; \x81 is undefined in it and no UTF-8 either.
    "bytes in no supported encoding": (
        {"accounts": b"account_id,name\nA9,Nine\nA8,Caf\xe9 \x81\n"},
        {("accounts.csv", 3, "-")},
    ),
    "broken UTF-8 (a stray byte in a UTF-8 file)": (
        {"accounts": "account_id,name\nA9,Café\n".encode() + b"A8,Caf\xe9\n"},
        {("accounts.csv", 3, "-")},
    ),
    "unknown setting key": (
        {"accounts": "account_id,name\nA9,Nine\n", "settings": "key,value\nwindow_days,30\ncolour,blue\n"},
        {("settings.csv", 3, "key")},
    ),
    "non-number numeric setting": (
        {"accounts": "account_id,name\nA9,Nine\n", "settings": "key,value\nwindow_days,thirty\n"},
        {("settings.csv", 2, "value")},
    ),
    "bad as_of setting": (
        {"accounts": "account_id,name\nA9,Nine\n", "settings": "key,value\nas_of,yesterday\n"},
        {("settings.csv", 2, "value")},
    ),
    "required value empty": (
        {"accounts": "account_id,name\nA9,\n"},
        {("accounts.csv", 2, "name")},
    ),
    "won without close date": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "opportunities": "opportunity_id,account_id,amount,stage,created_at,outcome\nO9,A1,10,won,2024-01-01,won\n",
        },
        {("opportunities.csv", 2, "close_date")},
    ),
    "unknown contact in engagements": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "engagements": "account_id,contact_id,occurred_at,intent\nA1,C404,2024-05-01,light\n",
        },
        {("engagements.csv", 2, "contact_id")},
    ),
    "unknown opportunity in stage changes": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "stage_changes": "opportunity_id,stage,entered_at\nO404,x,2024-01-01\n",
        },
        {("stage_changes.csv", 2, "opportunity_id")},
    ),
    "more cells than header columns": (
        {"accounts": "account_id,name\nA9,Nine,extra\n"},
        {("accounts.csv", 2, "-")},
    ),
    "unknown buying role": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "contacts": "contact_id,account_id,buying_role\nC9,A1,Wizard\n",
        },
        {("contacts.csv", 2, "buying_role")},
    ),
    "negative amount": (
        {
            "accounts": "account_id,name\nA1,Acme\n",
            "opportunities": "opportunity_id,account_id,amount,stage,created_at,outcome\nO9,A1,-5,x,2024-01-01,open\n",
        },
        {("opportunities.csv", 2, "amount")},
    ),
    "tier without is_target": (
        {"accounts": "account_id,name,is_target,tier\nA9,Nine,false,2\n"},
        {("accounts.csv", 2, "tier")},
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_row_is_reported_and_database_unchanged(engine, tmp_path, loaded, case):
    files, expected = BAD_CASES[case]
    errors = rejected(engine, write(tmp_path / "bad", **files))
    assert where(errors) == expected, [str(e) for e in errors]
    assert snapshot(engine) == loaded


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_row_into_an_empty_database_writes_nothing(engine, tmp_path, case):
    files, expected = BAD_CASES[case]
    before = counts(engine)
    errors = rejected(engine, write(tmp_path / "bad", **files))
    assert where(errors) == expected
    assert counts(engine) == before


def test_every_parse_error_is_listed_not_just_the_first(engine, tmp_path, loaded):
    write(
        tmp_path / "bad",
        accounts="""
            account_id,name,domain,tier,icp_fit,churned_at
            A1,Acme,acme.com,1,5,
            B1,Bee,bee.com,4,3,
            B2,Bee Two,bee2.com,2,0,
            B3,Bee Three,bee3.com,2,3,2024-13-01
            A1,Acme dup,bee4.com,2,3,
            """,
        engagements="""
            account_id,contact_id,occurred_at,channel,intent
            A1,,2024-05-01,web,hot
            A1,,not a date,web,light
            """,
        opportunities="""
            opportunity_id,account_id,amount,stage,created_at,outcome
            O1,A1,lots,proposal,2024-03-01,open
            O2,A1,100,proposal,2024-03-01,pending
            """,
        settings="key,value\ncolour,blue\n",
        stage_changes="opportunity_id,stage\nO1,x\n",
        contacts=b"contact_id,account_id\nC1,A1\nC2,A\x811\n",
    )
    errors = rejected(engine, tmp_path / "bad")
    assert where(errors) == {
        ("accounts.csv", 3, "tier"),
        ("accounts.csv", 4, "icp_fit"),
        ("accounts.csv", 5, "churned_at"),
        ("accounts.csv", 6, "account_id"),
        ("engagements.csv", 2, "intent"),
        ("engagements.csv", 3, "occurred_at"),
        ("opportunities.csv", 2, "amount"),
        ("opportunities.csv", 3, "outcome"),
        ("settings.csv", 2, "key"),
        ("stage_changes.csv", 1, "entered_at"),
        ("contacts.csv", 3, "-"),
    }, [str(e) for e in errors]
    assert snapshot(engine) == loaded


def test_duplicate_of_a_rejected_row_is_also_reported(engine, tmp_path):
    """A row repeating the id of a bad row is reported too, in the same run."""
    write(tmp_path / "bad", accounts="account_id,name,tier\nB1,Bee,4\nB1,Bee again,2\n")
    errors = rejected(engine, tmp_path / "bad")
    assert where(errors) == {("accounts.csv", 2, "tier"), ("accounts.csv", 3, "account_id")}


def test_every_reference_error_is_listed_not_just_the_first(engine, tmp_path, loaded):
    write(
        tmp_path / "bad",
        accounts="account_id,name\nA1,Acme\n",
        contacts="contact_id,account_id\nC1,A1\nC8,NOPE\nC9,ALSO_NOPE\n",
        engagements="account_id,contact_id,occurred_at,intent\nGHOST,,2024-05-01,light\nA1,C404,2024-05-01,light\n",
        opportunities="opportunity_id,account_id,amount,stage,created_at,outcome\nO9,NOPE,1,x,2024-01-01,open\n",
        stage_changes="opportunity_id,stage,entered_at\nO404,x,2024-01-01\n",
    )
    errors = rejected(engine, tmp_path / "bad")
    assert where(errors) == {
        ("contacts.csv", 3, "account_id"),
        ("contacts.csv", 4, "account_id"),
        ("engagements.csv", 2, "account_id"),
        ("engagements.csv", 3, "contact_id"),
        ("opportunities.csv", 2, "account_id"),
        ("stage_changes.csv", 2, "opportunity_id"),
    }, [str(e) for e in errors]
    assert snapshot(engine) == loaded


def test_parse_errors_and_unknown_ids_are_reported_in_one_run(engine, tmp_path, loaded):
    """Unknown ids are reported in the same run as parse errors ("all of them, not just the first")."""
    write(
        tmp_path / "bad",
        accounts="account_id,name,tier\nA1,Acme,1\nB1,Bee,4\n",
        contacts="contact_id,account_id\nC9,NOPE\n",
    )
    errors = rejected(engine, tmp_path / "bad")
    assert where(errors) == {("accounts.csv", 3, "tier"), ("contacts.csv", 2, "account_id")}, [
        str(e) for e in errors
    ]
    assert snapshot(engine) == loaded


def test_error_messages_say_why(engine, tmp_path):
    write(
        tmp_path / "bad",
        accounts="account_id,name,tier,icp_fit,churned_at\nA1,Acme,4,0,2024-02-30\n",
        contacts="contact_id,account_id\nC9,NOPE\n",
    )
    errors = rejected(engine, tmp_path / "bad")
    text_ = "\n".join(map(str, errors))
    assert "accounts.csv:2: tier: " in text_
    assert "accounts.csv:2: icp_fit: " in text_
    assert "accounts.csv:2: churned_at: " in text_
    assert "2024-02-30" in text_


def test_errors_are_sorted_by_file_and_line(engine, tmp_path):
    write(tmp_path / "bad", accounts="account_id,name,tier\nA1,X,9\nA2,Y,9\nA3,Z,9\n")
    errors = rejected(engine, tmp_path / "bad")
    assert [e.line for e in errors] == [2, 3, 4]


def test_invalid_utf8_far_into_a_file_reports_the_right_line(engine, tmp_path):
    """A bad byte far into a file is reported on its own line (not on a line of the first 8 KiB)."""
    lines = [b"account_id,name"] + [f"A{i},Name {i}".encode() for i in range(1, 2000)]
    lines[1500] = b"A1500,Bad \x81 name"
    write(tmp_path / "bad", accounts=b"\n".join(lines) + b"\n")
    errors = rejected(engine, tmp_path / "bad")
    assert where(errors) == {("accounts.csv", 1501, "-")}
    assert counts(engine)["account"] == 0


def test_read_folder_on_a_missing_folder(tmp_path):
    batch = read_folder(tmp_path / "nope")
    assert batch.errors and not batch.parts


def test_warning_does_not_block_the_import(engine, tmp_path):
    write(
        tmp_path / "in",
        accounts="account_id,name\nA1,Acme\n",
        opportunities="opportunity_id,account_id,amount,stage,created_at,close_date,outcome\n"
        "O1,A1,10,won,2024-05-01,2024-04-01,won\n",
    )
    summary = run(engine, tmp_path / "in")
    assert [(w.file, w.line, w.column) for w in summary.warnings] == [("opportunities.csv", 2, "close_date")]
    assert counts(engine)["opportunity"] == 1


def test_datetimes_and_dates_round_trip(engine, tmp_path):
    run(engine, write(tmp_path / "in", **GOOD))
    assert rows(engine, "SELECT occurred_at FROM engagement WHERE channel = 'email'") == [
        ("2024-05-10 10:00:00.000000",)
    ]
    batch = read_folder(tmp_path / "in")
    assert batch.frame("engagements.csv")["occurred_at"][1] == datetime(2024, 5, 10, 10, 0)
    assert batch.frame("opportunities.csv")["created_at"][0] == date(2024, 3, 1)


def test_two_accounts_swapping_domains_in_one_file(engine, tmp_path):
    """A unique index on domain must not trip when two known accounts swap domains in one import."""
    run(
        engine, write(tmp_path / "a", accounts="account_id,name,domain\nA1,Acme,acme.com\nB1,Beta,beta.com\n")
    )
    run(
        engine, write(tmp_path / "b", accounts="account_id,name,domain\nA1,Acme,beta.com\nB1,Beta,acme.com\n")
    )
    assert sorted(rows(engine, "SELECT source_id, domain FROM account")) == [
        ("A1", "beta.com"),
        ("B1", "acme.com"),
    ]


def test_reimport_keeps_tiers_decided_in_the_app(engine, tmp_path):
    """A CRM file that has not caught up with the meeting must not undo its retier (it warns instead)."""
    from sqlmodel import Session

    from abm_tui.store import decisions

    folder = write(tmp_path / "crm", accounts="account_id,name,tier\nA1,Acme,2\nB1,Beta,3\n")
    run(engine, folder)
    with Session(engine) as s:
        decisions.retier(
            session=s, account_id=rows(engine, "SELECT id FROM account WHERE source_id='A1'")[0][0], tier=1
        )
    summary = run(engine, folder)
    assert sorted(rows(engine, "SELECT source_id, tier FROM account")) == [("A1", 1), ("B1", 3)]
    assert [str(w) for w in summary.warnings] == [
        "accounts.csv:2: tier: kept Tier 1 as decided in abm-tui (the file says Tier 2)"
    ]


def test_a_domain_two_new_rows_share_matches_neither(engine, tmp_path):
    """Matching by domain only when it is unambiguous: two new ids with a known account's domain are
    two new accounts (possible duplicates), not one of them merged into the known one."""
    run(engine, write(tmp_path / "one", accounts="account_id,name,domain\nA1,Acme,acme.com\n"))
    summary = run(
        engine,
        write(
            tmp_path / "two", accounts="account_id,name,domain\nB1,Acme NL,acme.com\nB2,Acme DE,acme.com\n"
        ),
    )
    assert dict(summary.counts["accounts.csv"]) == {"created": 2}
    assert sorted(rows(engine, "SELECT source_id, name FROM account")) == [
        ("A1", "Acme"),
        ("B1", "Acme NL"),
        ("B2", "Acme DE"),
    ]


def test_a_whole_number_out_of_range_says_which_way():
    from abm_tui.importers import values as v

    messages = []
    for raw, lo, hi in (("-3", 0, None), ("1", 2, None), ("9", None, 5), ("9", 1, 5)):
        with pytest.raises(ValueError) as exc:
            v.integer(raw, lo, hi)
        messages.append(str(exc.value))
    assert messages == ["-3 is negative", "1 is below 2", "9 is above 5", "9 is outside 1–5"]  # not "0–None"


def test_an_import_from_the_app_says_how_far_it_is(engine, tmp_path):
    """The app's import (a preview, then the import) tells its dialog how many rows are through."""
    from abm_tui.review.imports import import_files
    from abm_tui.store.demo import demo_folder

    told: list[str] = []
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in demo_folder().glob("*.csv"))
    assert import_files(engine, [demo_folder()], dry_run=True, progress=told.append).ok
    # (files of the generic format are read kind by kind as they are written: one phase)
    assert told and all(t.startswith("Checking against the database: ") for t in told)
    assert told[-1] == f"Checking against the database: {total:,} of {total:,} rows…"
    told.clear()
    result = import_files(engine, [demo_folder()], dry_run=False, progress=told.append)
    assert result.ok and told[-1] == f"Writing: {total:,} of {total:,} rows…"
    writing = [
        int(t.split(": ")[1].split(" of ")[0].replace(",", "")) for t in told if t.startswith("Writing")
    ]
    assert len(writing) > 3 and writing == sorted(writing)  # file kind by file kind, up to every row
