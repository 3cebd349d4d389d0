"""spend.csv, intent_signals.csv and an intent vendor's export (DESIGN §6), into real databases."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from abm_tui.importers.errors import ImportFailed
from abm_tui.importers.reader import read_inputs
from abm_tui.store.db import open_store
from abm_tui.store.imports import apply_batch

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = """
    account_id,name,domain,is_target,tier,icp_fit
    A1,Bianchi Logistica,bianchilogistica.it,true,1,5
    A2,Everhill Software,everhill.co.uk,true,2,4
    A3,Arcwood Brewing,arcwood.de,false,,4
    A4,Twin One,twins.example,false,,3
    A5,Twin Two,twins.example,false,,3
    """


@pytest.fixture
def engine(db_url):
    engine, _ = open_store(db_url)
    yield engine
    engine.dispose()


def folder(tmp_path: Path, **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        (tmp_path / f"{stem}.csv").write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return tmp_path


def q(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def run(engine, *paths: Path, **kw):
    summary = apply_batch(engine, read_inputs(list(paths), **kw))
    assert summary.audit.unaccounted() == []
    return summary


def test_spend_imports_once_and_bad_rows_are_named(engine, tmp_path):
    data = folder(
        tmp_path / "ok",
        accounts=ACCOUNTS,
        spend="""
        period_start,period_end,team,program,amount,description
        2026-01-01,2026-03-31,marketing,abm,54800,ABM marketing Q1
        2026-01-01,2026-03-31,Sales,Non-ABM,70000,
        """,
    )
    summary = run(engine, data)
    assert summary.counts["spend.csv"] == {"created": 2}
    assert q(engine, "SELECT team, program, amount FROM spend ORDER BY id") == [
        ("marketing", "abm", 54800.0),
        ("sales", "non_abm", 70000.0),
    ]
    assert run(engine, data).counts["spend.csv"] == {"unchanged": 2}  # a re-import adds nothing
    bad = folder(
        tmp_path / "bad",
        accounts=ACCOUNTS,
        spend="""
        period_start,period_end,team,program,amount
        2026-04-01,2026-03-31,marketing,abm,100
        2026-04-01,2026-06-30,finance,abm,100
        2026-04-01,2026-06-30,sales,abm,-5
        """,
    )
    with pytest.raises(ImportFailed) as info:
        run(engine, bad)
    assert [str(e) for e in info.value.errors] == [
        "spend.csv:2: period_end: before period_start",
        "spend.csv:3: team: 'finance' is not one of sales, marketing",
        "spend.csv:4: amount: must not be negative",
    ]


def test_intent_signals_by_id_or_domain_and_the_unmatched_are_counted(engine, tmp_path):
    data = folder(
        tmp_path,
        accounts=ACCOUNTS,
        intent_signals="""
        account_id,domain,date,topic,score,source
        A1,,2026-11-20,ERP,78,Bombora
        ,https://www.Everhill.co.uk/about,2026-11-20,CRM,64.5,Bombora
        ZZ,arcwood.de,2026-11-19,CRM,83,Bombora
        ,nobody.example,2026-11-19,ERP,90,Bombora
        ,twins.example,2026-11-19,ERP,90,Bombora
        """,
    )
    summary = run(engine, data)
    assert summary.counts["intent_signals.csv"] == {"created": 3, "skipped": 2}
    assert q(
        engine,
        "SELECT a.source_id, s.topic, s.score FROM intentsignal s JOIN account a ON a.id = s.account_id "
        "ORDER BY a.source_id",
    ) == [("A1", "ERP", 78.0), ("A2", "CRM", 64.5), ("A3", "CRM", 83.0)]
    skipped = {
        line: mark.text()
        for line, status, mark in summary.audit.rows("intent_signals.csv")
        if status == "skipped"
    }
    assert skipped == {
        5: "no account has this id or domain: nobody.example",
        6: "no account has this id or domain: twins.example",  # two accounts share it: neither
    }


def test_a_signal_needs_an_account_or_a_domain_and_a_score_of_0_to_100(engine, tmp_path):
    data = folder(
        tmp_path,
        accounts=ACCOUNTS,
        intent_signals="""
        account_id,domain,date,topic,score
        ,,2026-11-20,ERP,78
        A1,,2026-11-20,ERP,101
        """,
    )
    with pytest.raises(ImportFailed) as info:
        run(engine, data)
    assert [str(e) for e in info.value.errors] == [
        "intent_signals.csv:2: domain: empty, and so is account_id: one is needed",
        "intent_signals.csv:3: score: 101 is outside 0–100",
    ]


def test_a_bombora_export_through_the_shipped_mapping(engine, tmp_path):
    run(engine, folder(tmp_path, accounts=ACCOUNTS.replace("Software", "Software Group")))
    sample = ROOT / "fixtures" / "samples" / "bombora-surge"
    summary = run(engine, sample, mapping=ROOT / "fixtures" / "mappings" / "bombora-surge.toml")
    file = "CompanySurge_2026-11-23.csv"
    # 9 rows: Bianchi ×3, Everhill (WWW.EVERHILL.CO.UK), Arcwood; Seidel, Skyridge ×2 and Northwind
    # are no account of this database.
    assert summary.counts[file] == {"created": 5, "skipped": 4}
    assert q(engine, "SELECT DISTINCT source FROM intentsignal") == [("Bombora",)]
    assert q(
        engine,
        "SELECT a.source_id, count(*), max(s.score) FROM intentsignal s JOIN account a ON a.id = s.account_id "
        "GROUP BY a.source_id ORDER BY a.source_id",
    ) == [("A1", 3, 78.0), ("A2", 1, 59.0), ("A3", 1, 83.0)]
