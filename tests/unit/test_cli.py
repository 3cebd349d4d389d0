"""The command line: import, accounts/funnel --json (DESIGN §6 field names), demo, errors without tracebacks."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import textwrap
from datetime import date
from pathlib import Path

import pytest

from abm_tui import cli
from abm_tui.config import resolve_db_url

REPO = Path(__file__).resolve().parents[2]

ACCOUNT_KEYS = {
    "account_id",
    "name",
    "domain",
    "is_target",
    "tier",
    "icp_fit",
    "status",
    "stage",
    "score",
    "breadth",
    "depth",
    "recency",
    "active_stakeholders",
    "role_coverage",
    "buying_group_coverage",
    "gaps",
    "open_pipeline",
    "first_engagement",
    "last_engagement",
    "agenda",
    "intent_score",
    "surging_topics",
    "surging",
}
# Revenue outcomes, each {abm, non_abm}.
PAIRS = (
    "new_customers",
    "repeat_wins",
    "expansion_revenue",
    "order_frequency",
    "churn_rate_by_group",
    "customer_lifetime_years",
    "ltv",
    "spend",
    "cac",
    "roi",
    "ltv_to_cac",
    "marketing_sourced_revenue",
)
FUNNEL_KEYS = {
    "as_of",
    "stage_counts",
    "conversion",
    "reach_by_tier",
    "mqa_count",
    "marketing_sourced_pipeline",
    "marketing_influenced_pipeline",
    "pipeline_coverage",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "velocity_days",
    "churn_rate",
    *PAIRS,
    # single numbers
    "retention_rate",
    "tam",
    "intent_surging",
    "marketing_share_of_pipeline",
    "win_rate_by_quarter",
    "loss_reasons",
    "movement",
    "trend",
}
ERROR_LINE = re.compile(r"^[\w.]+\.csv:\d+: [\w-]+: \S.*$")


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        (folder / f"{stem}.csv").write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


SMALL = {
    "accounts": """
        account_id,name,domain,industry,employees,is_target,tier,icp_fit,churned_at
        A1,Acme,acme.com,Manufacturing,500,true,1,5,
        A2,Beta,beta.io,Software,50,true,2,3,
        A3,Gamma,gamma.de,Retail,,false,,2,
        A4,Delta,delta.com,Retail,,true,1,4,
        """,
    "contacts": """
        contact_id,account_id,name,title,email,buying_role
        C1,A1,Ann,CEO,ann@acme.com,decision_maker
        C2,A1,Bob,CTO,bob@acme.com,technical
        C3,A2,Cid,CFO,cid@beta.io,budget_holder
        """,
    "engagements": """
        account_id,contact_id,occurred_at,channel,intent,description
        A1,C1,2024-05-01,web,strategic,pricing page
        A1,C2,2024-05-10,email,mid,webinar
        A2,C3,2024-04-01,event,mid,booth
        A3,,2024-05-20,ads,light,impression
        """,
    "opportunities": """
        opportunity_id,account_id,name,amount,currency,stage,created_at,close_date,outcome,source
        O1,A1,Acme deal,50000,EUR,proposal,2024-03-01,2024-07-01,open,marketing
        O2,A2,Beta deal,20000,EUR,closed_won,2024-01-01,2024-04-15,won,sales
        """,
    "stage_changes": """
        opportunity_id,stage,entered_at
        O1,qualification,2024-03-01
        O1,proposal,2024-04-01
        """,
    "settings": """
        key,value
        window_days,90
        """,
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


@pytest.fixture
def imported(tmp_path, capsys) -> Path:
    db = tmp_path / "abm.sqlite"
    code, _out, err = run(capsys, "import", str(write(tmp_path / "small", **SMALL)), "--db", str(db))
    assert code == 0, err
    return db


# --- import ---------------------------------------------------------------------------------------------


def test_import_reports_counts(tmp_path, capsys):
    db = tmp_path / "abm.sqlite"
    code, out, err = run(capsys, "import", str(write(tmp_path / "small", **SMALL)), "--db", str(db))
    assert code == 0, err
    assert "accounts.csv: 4 rows read: 4 created" in out
    assert "engagements.csv: 4 rows read: 4 created" in out
    assert "Traceback" not in err
    counts = table_counts(db)
    assert (counts["account"], counts["contact"], counts["engagement"], counts["opportunity"]) == (4, 3, 4, 2)
    # A new file is written through a rollback journal (one write per page), then left in WAL mode
    # (what every later decision's crash safety relies on), with no journal left behind.
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert not db.with_name(db.name + "-journal").exists()


def test_import_twice_changes_nothing(imported, tmp_path, capsys):
    with sqlite3.connect(imported) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    before = table_counts(imported)
    code, out, err = run(capsys, "import", str(tmp_path / "small"), "--db", str(imported))
    assert code == 0, err
    assert "accounts.csv: 4 rows read: 4 unchanged" in out
    assert "created" not in out and "updated" not in out
    assert table_counts(imported) == before


def test_import_dry_run_writes_nothing(imported, tmp_path, capsys):
    before = table_counts(imported)
    folder = write(tmp_path / "more", accounts="account_id,name\nA9,Nine\nA1,Acme Renamed\n")
    code, out, err = run(capsys, "import", str(folder), "--dry-run", "--db", str(imported))
    assert code == 0, err
    assert "Dry run" in out
    assert "1 created" in out and "1 updated" in out
    assert table_counts(imported) == before
    con = sqlite3.connect(imported)
    assert con.execute("SELECT name FROM account WHERE source_id = 'A1'").fetchone() == ("Acme",)
    con.close()


def test_bad_import_lists_every_error_and_leaves_the_database_alone(imported, tmp_path, capsys):
    before = table_counts(imported)
    folder = write(
        tmp_path / "bad",
        accounts="account_id,name,tier,icp_fit\nB1,Bee,4,3\nB2,Bee two,2,0\nB3,,1,1\n",
        engagements="account_id,occurred_at,intent\nA1,2024-05-01,hot\n",
        settings="key,value\ncolour,blue\n",
    )
    code, _out, err = run(capsys, "import", str(folder), "--db", str(imported))
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    problems = [line for line in lines if ERROR_LINE.match(line)]
    assert [p.split(": ")[0] + ": " + p.split(": ")[1] for p in problems] == [
        "accounts.csv:2: tier",
        "accounts.csv:3: icp_fit",
        "accounts.csv:4: name",
        "engagements.csv:2: intent",
        "settings.csv:2: key",
    ]
    assert len(lines) == len(problems) + 1  # and one summary line, nothing else
    assert "nothing was written" in lines[-1]
    assert table_counts(imported) == before


def test_bad_import_does_not_create_a_database(tmp_path, capsys):
    db = tmp_path / "never.sqlite"
    folder = write(tmp_path / "bad", accounts="account_id,name,tier\nB1,Bee,4\n")
    code, _, err = run(capsys, "import", str(folder), "--db", str(db))
    assert code != 0
    assert "accounts.csv:2: tier: " in err
    assert not db.exists()


def test_unknown_account_reference_is_reported_by_the_cli(imported, tmp_path, capsys):
    before = table_counts(imported)
    folder = write(
        tmp_path / "bad", accounts="account_id,name\nA1,Acme\n", contacts="contact_id,account_id\nC9,NOPE\n"
    )
    code, _, err = run(capsys, "import", str(folder), "--db", str(imported))
    assert code != 0
    assert "contacts.csv:2: account_id: " in err
    assert table_counts(imported) == before


def test_import_of_a_missing_folder_is_one_clear_error(tmp_path, capsys):
    code, _out, err = run(capsys, "import", str(tmp_path / "nope"), "--db", str(tmp_path / "abm.sqlite"))
    assert code != 0
    assert "Traceback" not in err
    assert "no such file" in err


# --- accounts / funnel --json ------------------------------------------------------------------------------


def test_accounts_json_has_exactly_the_contract_fields(imported, capsys):
    code, out, err = run(capsys, "accounts", "--json", "--as-of", "2024-06-01", "--db", str(imported))
    assert code == 0, err
    records = json.loads(out)
    assert isinstance(records, list)
    assert sorted(r["account_id"] for r in records) == ["A1", "A2", "A3", "A4"]
    for r in records:
        assert set(r) == ACCOUNT_KEYS, set(r) ^ ACCOUNT_KEYS
        assert isinstance(r["account_id"], str)
        assert isinstance(r["gaps"], dict)
        assert isinstance(r["agenda"], list)
        for part in ("breadth", "depth", "recency"):
            assert 0 <= r[part] <= 1
        assert r["buying_group_coverage"] is None or 0 <= r["buying_group_coverage"] <= 1
    by_id = {r["account_id"]: r for r in records}
    assert (by_id["A1"]["tier"], by_id["A1"]["is_target"], by_id["A1"]["domain"]) == (1, True, "acme.com")
    assert (by_id["A3"]["tier"], by_id["A3"]["is_target"]) == (None, False)
    assert by_id["A1"]["first_engagement"] == "2024-05-01"
    assert by_id["A1"]["last_engagement"] == "2024-05-10"
    assert by_id["A4"]["last_engagement"] is None
    assert by_id["A1"]["open_pipeline"] == 50000


def test_accounts_tier_filter(imported, capsys):
    code, out, err = run(
        capsys, "accounts", "--json", "--tier", "1", "--as-of", "2024-06-01", "--db", str(imported)
    )
    assert code == 0, err
    records = json.loads(out)
    assert sorted(r["account_id"] for r in records) == ["A1", "A4"]
    assert all(r["tier"] == 1 for r in records)


def test_bad_tier_is_an_argparse_error(imported, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["accounts", "--json", "--tier", "4", "--db", str(imported)])
    assert info.value.code == 2
    assert "tier" in capsys.readouterr().err


def test_funnel_json_has_exactly_the_contract_fields(imported, capsys):
    code, out, err = run(capsys, "funnel", "--json", "--as-of", "2024-06-01", "--db", str(imported))
    assert code == 0, err
    f = json.loads(out)
    assert set(f) == FUNNEL_KEYS, set(f) ^ FUNNEL_KEYS
    assert f["as_of"] == "2024-06-01"
    assert set(f["reach_by_tier"]) == {"1", "2", "3"}
    assert set(f["win_rate"]) == {"abm", "non_abm"}
    assert set(f["avg_deal_size"]) == {"abm", "non_abm"}
    assert isinstance(f["stage_counts"], dict) and isinstance(f["conversion"], dict)
    assert isinstance(f["velocity_days"], dict)
    # stage_counts partitions the active target accounts (A1, A2, A4)
    assert sum(f["stage_counts"].values()) == 3
    # the last stage has no conversion
    assert list(f["stage_counts"])[-1] not in f["conversion"]
    # one won ABM deal, no closed non-ABM deal: a rate with nothing to divide by is null, never 0
    assert f["win_rate"] == {"abm": 1.0, "non_abm": None}
    assert f["avg_deal_size"]["non_abm"] is None
    # no tier-3 targets at all → null reach
    assert f["reach_by_tier"]["3"] is None


def test_funnel_tier_filter_and_default_as_of_on_old_data_is_its_newest_day(imported, capsys):
    """Issue 12: data that ends long ago is measured as of its newest activity, not an empty today."""
    code, out, err = run(capsys, "funnel", "--json", "--tier", "2", "--db", str(imported))
    assert code == 0, err
    f = json.loads(out)
    assert f["as_of"] == "2024-05-20"  # SMALL's newest touch (its deals and stage changes are older)
    assert sum(f["stage_counts"].values()) == 1
    code, out, err = run(capsys, "funnel", "--json", "--as-of", "2024-06-30", "--db", str(imported))
    assert json.loads(out)["as_of"] == "2024-06-30"  # an explicit date still wins


def test_as_of_falls_back_on_the_newest_data_only_outside_the_window():
    from abm_tui.store.metric_cache import as_of_is_newest_data, resolve_as_of

    today = date(2026, 12, 1)
    inside = {"data.newest_activity": "2026-09-03"}  # T-89: inside the 90-day window
    outside = {"data.newest_activity": "2026-09-02"}  # T-90: just outside it
    assert resolve_as_of(inside, today=today) == today
    assert resolve_as_of(outside, today=today) == date(2026, 9, 2)
    assert resolve_as_of({**outside, "window_days": "91"}, today=today) == today
    assert resolve_as_of({**outside, "as_of": "2026-10-01"}, today=today) == date(2026, 10, 1)
    assert resolve_as_of(outside, date(2026, 11, 1), today=today) == date(2026, 11, 1)
    assert resolve_as_of({}, today=today) == today
    assert as_of_is_newest_data({"data.newest_activity": "2017-12-31"})
    assert not as_of_is_newest_data({"data.newest_activity": "2017-12-31"}, date(2018, 1, 1))


def test_as_of_setting_is_used_when_no_flag_is_given(imported, tmp_path, capsys):
    folder = write(
        tmp_path / "s", accounts="account_id,name\nA1,Acme\n", settings="key,value\nas_of,2024-05-15\n"
    )
    # (only the as_of setting matters here; accounts.csv is the one required file)
    assert run(capsys, "import", str(folder), "--db", str(imported))[0] == 0
    code, out, err = run(capsys, "funnel", "--json", "--db", str(imported))
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2024-05-15"


@pytest.mark.parametrize("command", ["accounts", "funnel"])
@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "01/06/2024", ""])
def test_bad_as_of_exits_2_with_a_message(imported, capsys, command, bad):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--json", "--as-of", bad, "--db", str(imported)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "as-of" in err
    assert "not a date" in err
    assert "Traceback" not in err


def test_accounts_plain_table(imported, capsys):
    code, out, err = run(capsys, "accounts", "--as-of", "2024-06-01", "--db", str(imported))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split()[0] == "account"
    assert len(lines) == 1 + 4
    assert any(line.startswith("Acme") for line in lines)


def test_reports_refuse_a_database_that_does_not_exist(tmp_path, capsys):
    """A mistyped --db must not create an empty database and report nothing as if all were well."""
    typo = tmp_path / "typo.sqlite"
    sentence = (
        f"abm-tui: There is no database at {typo}: create an empty one with `abm-tui init {typo}`, "
        f"or one with the demo data with `abm-tui demo --db {typo}`."
    )
    for command in (["accounts"], ["funnel"], ["export", "targets", str(tmp_path / "t.csv")], ["run"]):
        code, out, err = run(capsys, *command, "--db", str(typo))  # "run" outside a terminal: no dialog
        assert (code, out, err.strip()) == (2, "", sentence), command
    assert not typo.exists()


def test_init_makes_an_empty_database_and_only_the_default_location_gets_the_demo(
    tmp_path, capsys, monkeypatch
):
    import sqlite3

    from abm_tui import cli

    code, out, _ = run(capsys, "init", str(tmp_path / "mine.sqlite"))
    assert code == 0 and "Empty database created" in out
    with sqlite3.connect(tmp_path / "mine.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM account").fetchone() == (0,)
    code, out, _ = run(capsys, "init", str(tmp_path / "mine.sqlite"))
    assert code == 0 and "already an abm-tui database (0 accounts)" in out
    # The very first run at the default location loads the demo (the app itself is not started here).
    started = []
    monkeypatch.setattr("abm_tui.ui.app.AbmApp.run", lambda self: started.append(self.service.url))
    monkeypatch.delenv("ABM_TUI_DB")
    monkeypatch.setattr(
        cli, "resolve_db_url", lambda value=None: value or f"sqlite:///{tmp_path / 'default.sqlite'}"
    )
    assert cli.main(["run"]) == 0
    with sqlite3.connect(tmp_path / "default.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM account").fetchone()[0] == 300
        assert conn.execute("SELECT value FROM setting WHERE key = 'data.demo'").fetchone() == ("true",)
    assert started


def test_accounts_json_on_an_empty_database(tmp_path, capsys):
    from abm_tui.store.db import open_store

    open_store(f"sqlite:///{tmp_path / 'new.sqlite'}")[0].dispose()
    code, out, err = run(capsys, "accounts", "--json", "--db", str(tmp_path / "new.sqlite"))
    assert code == 0, err
    assert json.loads(out) == []
    code, out, err = run(
        capsys, "funnel", "--json", "--as-of", "2024-06-01", "--db", str(tmp_path / "new.sqlite")
    )
    assert code == 0, err
    assert set(json.loads(out)) == FUNNEL_KEYS


# --- where the database is ------------------------------------------------------------------------------


def test_abm_tui_db_env_is_used_without_db_flag(tmp_path, capsys, monkeypatch):
    db = tmp_path / "from-env.sqlite"
    monkeypatch.setenv("ABM_TUI_DB", str(db))
    code, _, err = run(capsys, "import", str(write(tmp_path / "small", **SMALL)))
    assert code == 0, err
    assert table_counts(db)["account"] == 4
    code, out, _ = run(capsys, "accounts", "--json")
    assert len(json.loads(out)) == 4


def test_default_database_lives_in_the_isolated_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ABM_TUI_DB")
    assert resolve_db_url(None).startswith(f"sqlite:///{tmp_path / 'xdg-data'}")


def test_db_flag_wins_over_env(tmp_path, capsys):
    db = tmp_path / "flag.sqlite"
    code, _, err = run(capsys, "import", str(write(tmp_path / "small", **SMALL)), "--db", str(db))
    assert code == 0, err
    assert db.exists()
    assert not (tmp_path / "env-default.sqlite").exists()


def test_global_db_flag_before_the_command_is_honoured(tmp_path, capsys):
    # Regression: the subparsers' own `--db` default (None) used to overwrite the value parsed by the
    # main parser, so `abm-tui --db X accounts` silently used $ABM_TUI_DB / the real user data file.
    db = tmp_path / "global.sqlite"
    code, _, err = run(capsys, "--db", str(db), "import", str(write(tmp_path / "small", **SMALL)))
    assert code == 0, err
    assert db.exists(), "the --db given before the command was ignored"
    assert not (tmp_path / "env-default.sqlite").exists(), "wrote to $ABM_TUI_DB instead of --db"
    code, out, err = run(capsys, "--db", str(db), "accounts", "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 4


def test_global_as_of_before_the_command_is_honoured(imported, capsys):
    code, out, err = run(capsys, "--as-of", "2024-06-01", "funnel", "--json", "--db", str(imported))
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2024-06-01"


def test_db_after_the_command_wins_over_db_before_it(tmp_path, capsys):
    before, after = tmp_path / "before.sqlite", tmp_path / "after.sqlite"
    code, _, err = run(
        capsys, "--db", str(before), "import", str(write(tmp_path / "small", **SMALL)), "--db", str(after)
    )
    assert code == 0, err
    assert after.exists() and not before.exists()


def test_repeated_main_calls_do_not_pile_up_log_handlers(tmp_path, capsys):
    """main() called again in one process (tests, scripts) reuses its log handler: each record once."""
    logger = logging.getLogger("abm_tui")
    start = len(logger.handlers)
    for _ in range(3):
        run(capsys, "accounts", "--json", "--db", str(tmp_path / "x.sqlite"))
    assert len(logger.handlers) <= start + 1


# --- demo -----------------------------------------------------------------------------------------------


def test_demo_refuses_a_non_empty_database(imported, capsys):
    before = table_counts(imported)
    code, _out, err = run(capsys, "demo", "--db", str(imported))
    assert code != 0
    assert "already holds 4 accounts" in err
    assert len(err.strip().splitlines()) == 1
    assert table_counts(imported) == before


def test_demo_loads_about_300_accounts_ending_today(tmp_path, capsys):
    db = tmp_path / "demo.sqlite"
    before = date.today()
    code, _out, err = run(capsys, "demo", "--db", str(db))
    days = {before.isoformat(), date.today().isoformat()}  # a run across midnight may see either
    assert code == 0, err
    counts = table_counts(db)
    assert 250 <= counts["account"] <= 350
    assert counts["contact"] >= 1000
    assert counts["engagement"] >= 10_000
    con = sqlite3.connect(db)
    try:
        newest = con.execute("SELECT max(occurred_at) FROM engagement").fetchone()[0]
        targets = con.execute("SELECT tier, count(*) FROM account WHERE is_target GROUP BY tier").fetchall()
    finally:
        con.close()
    assert newest[:10] in days
    assert {t for t, _ in targets} == {1, 2, 3}
    # and then it refuses to load again into the same, now non-empty, database
    code, _, err = run(capsys, "demo", "--db", str(db))
    assert code != 0
    assert "already holds" in err
    assert table_counts(db) == counts


def test_demo_then_accounts_json(tmp_path, capsys):
    db = tmp_path / "demo.sqlite"
    before = date.today()
    assert run(capsys, "demo", "--db", str(db))[0] == 0
    days = {before.isoformat(), date.today().isoformat()}
    code, out, err = run(capsys, "accounts", "--json", "--db", str(db))
    assert code == 0, err
    records = json.loads(out)
    assert 250 <= len(records) <= 350
    assert all(set(r) == ACCOUNT_KEYS for r in records)
    assert any(r["last_engagement"] in days for r in records)


def test_import_of_a_folder_with_a_mapping_creates_the_database_and_its_audit(tmp_path, capsys):
    """The Maven CRM folder as it is: two files the mapping reads, two it cannot (counted, not fatal);
    the bad rows its mapping skips must not make the CLI check against a throwaway database."""
    from tests.unit.test_import_crm import MAPPINGS

    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "maven-crm"
    folder = (
        shared
        if shared.is_dir()
        else Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "maven-crm"
    )
    db = tmp_path / "maven.sqlite"
    code, out, err = run(
        capsys, "import", str(folder), "--map", str(MAPPINGS / "maven-crm.toml"), "--db", str(db)
    )
    assert code == 0, err
    assert "sales_pipeline.csv: 8,800 rows read: 7,212 created, 1,588 skipped" in out
    assert "1,088 skipped — no company" in out
    audits = list(tmp_path.glob("import-audit-*.csv"))
    assert len(audits) == 1 and f"Audit of every row: {audits[0]}" in out
    assert len(audits[0].read_text().splitlines()) == 1 + 85 + 8800 + (
        (7 + 35) if shared.is_dir() else 0
    )  # a line per row read, unrecognised files' rows too
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM opportunity").fetchone() == (7212,)


@pytest.mark.parametrize(
    ("facts", "setting", "shown", "note"),
    [
        (
            "EUR:8,GBP:1,:7",
            None,
            "EUR",
            "deals in 2 currencies (EUR 8, GBP 1) and 7 deals without one: sums add them as one",
        ),
        ("EUR:8,:2", None, "EUR", "2 deals without one: shown in EUR"),
        (
            ":7",
            None,
            None,
            "the deals have no currency: amounts are shown without one (palette: Set the currency)",
        ),
        (":7", "usd", "USD", None),
        ("USD:3", None, "USD", None),
        ("", None, None, None),
    ],
)
def test_the_currency_shown_and_what_is_said_about_it(facts, setting, shown, note):
    from abm_tui.exporters.numbers import currency_note, currency_of, money

    settings = {"data.currencies": facts, **({"currency": setting} if setting else {})}
    assert (currency_of(settings), currency_note(settings)) == (shown, note)
    assert money(250_000, shown) == {"EUR": "€250k", "USD": "$250k", None: "250k"}[shown]
    assert money(1_500, "CHF") == "2k CHF" and money(0, "EUR") == "–"


def test_the_demo_carries_every_revenue_intent_and_movement_field(demo_db, capsys):
    """Issue 15: on the demo each new field has a value (spend and intent are part of it)."""
    day = ("--as-of", "2026-11-20")  # the demo's newest day (the fixture shifts it there)
    code, out, err = run(capsys, "funnel", "--json", "--since", "2026-11-01", *day, "--db", str(demo_db))
    assert code == 0, err
    f = json.loads(out)
    assert set(f) == FUNNEL_KEYS
    for key in PAIRS:
        assert set(f[key]) == {"abm", "non_abm"}, key
        assert f[key]["abm"] is not None, key  # the demo has spend, churn, repeat-free wins …
    assert f["spend"]["abm"] > 0 and f["cac"]["abm"] > 0
    assert f["repeat_wins"]["abm"] > 0 and f["expansion_revenue"]["abm"] > 0  # customers buying again
    assert 0 < f["retention_rate"] < 1 and f["tam"] > 0 and f["intent_surging"] > 0
    assert 0 < f["marketing_share_of_pipeline"] < 1
    assert [q["quarter"] for q in f["win_rate_by_quarter"]] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert f["loss_reasons"] and all(n > 0 for n in f["loss_reasons"].values())
    m = f["movement"]
    assert m["since"] == "2026-11-01"
    assert m["progressed"] + m["regressed"] + m["unchanged"] == sum(f["stage_counts"].values())
    assert [t["as_of"] for t in f["trend"]][-1] == f["as_of"] and len(f["trend"]) == 13
    assert f["trend"][-1]["stage_counts"] == f["stage_counts"]

    code, out, err = run(capsys, "accounts", "--json", *day, "--db", str(demo_db))
    records = json.loads(out)
    assert all(set(r) == ACCOUNT_KEYS for r in records)
    surging = [r for r in records if r["surging"]]
    assert surging and all(r["surging_topics"] == sorted(r["surging_topics"]) for r in surging)
    assert all(r["intent_score"] >= 60 for r in surging)
    assert any("surge" in r["agenda"] for r in records if r["is_target"])
    adds = [r for r in records if "add" in r["agenda"]]
    assert adds and all(not r["is_target"] and r["icp_fit"] >= 4 for r in adds)


def test_movement_since_defaults_to_the_last_meeting(demo_db, capsys):
    from datetime import datetime

    from sqlmodel import Session

    from abm_tui.store.db import open_store
    from abm_tui.store.models import Meeting

    engine, _ = open_store(f"sqlite:///{demo_db}")
    with Session(engine) as s:
        s.add(Meeting(started_at=datetime(2026, 11, 10, 12), ended_at=datetime(2026, 11, 10, 13)))
        s.add(Meeting(started_at=datetime(2026, 11, 18, 12)))  # never ended: not a review that happened
        s.commit()
    engine.dispose()
    f = json.loads(run(capsys, "funnel", "--json", "--db", str(demo_db))[1])
    assert f["movement"]["since"] == "2026-11-10"
