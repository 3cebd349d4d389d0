"""The columnar import (pandas' parser, whole-column checks) against the row by row one it replaces
for the generic files: the same rows, values, lines, errors, warnings and audit, on every sample and
on random text."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm_tui.importers import reader
from abm_tui.importers.formats import DEFAULT_OPTIONS, Columns, parse_columns, parse_rows, read_text
from abm_tui.importers.generic import SCHEMA, Batch, add_rows, content_keys, read_folder

ROOT = Path(__file__).resolve().parents[2]


def both(text: str, delimiter: str = ",") -> tuple[tuple, tuple]:
    rows_errors: list = []
    columns_errors: list = []
    by_rows = Columns.of_rows(*parse_rows("f.csv", text, delimiter, rows_errors))
    by_columns = parse_columns("f.csv", text, delimiter, columns_errors)
    return _plain(by_rows, rows_errors), _plain(by_columns, columns_errors)


def _plain(c: Columns, errors: list) -> tuple:
    return c.header, c.lines.tolist(), {n: list(v) for n, v in c.cells.items()}, errors


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n",
        "a,b,c\r\n1,2,3\r\n4,5,6",  # Windows line ends, no last one
        "a,b,c\n1,2,3\n\n4,5\n  ,  ,\n7,8,9\n",  # a blank line, a short row, a row of blanks
        'a,b\n"x\ny",q\n"r""s","t\r\nu"\n1,2\n',  # line breaks inside quotes: later rows' lines move
        'a,b\n"ab"cd,e"f\n',  # stray quotes
        "a,b\n1,2,3\n4,5\n",  # more cells than the header: an error for that row
        "a,b\n1,2,\n",  # a trailing empty cell
        "a,a,b\n1,,2\n,3,4\n",  # a column named twice
        " a ,,b\n1,x,2\n",  # a column without a name
        "a,b\r1,2\r",  # old Mac line ends
        '"a\nb",c\n1,2\n',  # a line break in the header
        "a,b\n",  # a header only
        "",  # nothing at all
        "a;b\n1,5;2\n",
    ],
)
def test_columns_read_like_rows(text):
    by_rows, by_columns = both(text, ";" if text.startswith("a;") else ",")
    assert by_columns == by_rows


def test_columns_line_numbers_after_quoted_line_breaks():
    _, by_columns = both('id,note\n1,"two\nlines"\n2,plain\n\n3,"x"\n')
    assert by_columns[1] == [2, 4, 6]
    assert by_columns[2]["note"] == ["two\nlines", "plain", "x"]


cell_text = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t\u00a0é=1')), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=6), st.booleans())
def test_columns_read_like_rows_on_random_csv(records, crlf):
    """Well-formed CSV of awkward cells (quotes, separators, line breaks of both kinds)."""

    def quote(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n\r') else c

    end = "\r\n" if crlf else "\n"
    text = end.join(",".join(quote(c) for c in r) for r in [["id", "x", "y"], *records]) + end
    by_rows, by_columns = both(text)
    assert by_columns == by_rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('ab,"\n \r')), max_size=40))
def test_columns_read_like_rows_on_random_text(body):
    """Anything at all after a header, malformed quoting included."""
    by_rows, by_columns = both("id,x,y\n" + body)
    assert by_columns == by_rows


def test_columns_read_every_sample_like_rows():
    files = sorted((ROOT / "fixtures").rglob("*.csv"))
    assert len(files) > 30
    for path in files:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        by_rows, by_columns = both(text, delimiter)
        assert by_columns == by_rows, path
        assert np.all(np.diff(by_columns[1]) > 0) if by_columns[1] else True


# ---- checks: add_columns against add_rows -------------------------------------------------------


def by_rows(folder: Path) -> Batch:
    """`read_folder` as it was: every file row by row."""
    batch = Batch()
    for name in SCHEMA:
        path = folder / name
        if path.exists():
            text, delimiter, options = read_text(path, batch.errors, DEFAULT_OPTIONS)
            header, rows = parse_rows(name, text, delimiter, batch.errors) if text is not None else ([], [])
            batch.audit.rows_read(name, [line for line, _ in rows])
            add_rows(batch, name, header, rows, source=name, options=options)
    return batch


def outcome(batch: Batch) -> dict:
    frames = {}
    for kind in SCHEMA:
        records = batch.frame(kind).to_dict("records")
        frames[kind] = [{k: (type(v).__name__, v) for k, v in r.items()} for r in records]
    return {
        "errors": [e for e in batch.errors if e.line],  # (not the folder's: "accounts.csv missing")
        "warnings": [w for w in batch.warnings if w.line],  # (not the folder's: "not a file of …")
        "rejected": {k: v for k, v in batch.rejected.items() if v},  # (empty or absent: the same)
        "seen": {k: v for k, v in batch.seen.items() if v},
        "columns": batch.columns,
        "frames": frames,
        "codes": {f: bytes(c) for f, c in batch.audit.codes.items()},
        "marks": batch.audit.marks,
        "read": {f: list(r) for f, r in batch.audit.read.items()},
        "checked": batch.checked,
    }


def test_columns_check_like_rows_on_the_samples_and_the_demo():
    folders = {p.parent for p in (ROOT / "fixtures").rglob("*.csv") if p.name in SCHEMA}
    assert len(folders) >= 3
    for folder in sorted(folders):
        assert outcome(read_folder(folder)) == outcome(by_rows(folder)), folder


BAD = {
    "accounts.csv": "account_id,name,domain,employees,annual_revenue,is_target,tier,icp_fit,churned_at,status\n"
    'A1,Acme,acme.com,1.200,"1.234,50",yes,Tier 1,3,2024-02-30,active\n'
    "A2,,not a domain,-3,abc,maybe,7,9,31-12-2024,gone\n"
    "A1,Dup,,,,,,,,\n"
    "A3,Zeta,zeta.io,,,false,2,,,\n"
    " ,Blank id,,,,,,,,\n"
    "A4,'=cmd,,,,,,,,dropped\n",
    "contacts.csv": "contact_id,account_id,name,title,email,buying_role\n"
    "C1,A1,Ann,Chief Financial Officer,ANN@ACME.COM,\n"
    "C2,A1,Bob,Head of IT,,champion\n"
    "C3,A9,Cy,,cy@x.org,wizard\n"
    "C1,A1,Again,,,\n"
    "C4,,No account,Buyer,,\n",
    "engagements.csv": "account_id,contact_id,occurred_at,channel,intent,description\n"
    "A1,C1,2024-05-10 10:00,email,strategic,Hi\n"
    "A1,C1,2024-05-10 10:00,email,strategic,Hi\n"
    "A1,,05/11/2024,ad,mid,\n"
    ",C1,2024-05-12,web,low,x\n"
    "A1,C2,not a date,web,huge,y\n",
    "opportunities.csv": "opportunity_id,account_id,name,amount,currency,stage,created_at,close_date,outcome,source\n"
    "O1,A1,Deal,1000,EUR,proposal,2024-03-01,2024-02-01,won,marketing\n"
    "O2,A1,Lost,500,EUR,closed_lost,2024-03-01,,lost,sales\n"
    "O3,A1,Neg,-5,EUR,proposal,2024-03-01,,open,\n"
    "O4,A1,Bad,x,EUR,,2024-13-01,,maybe,tv\n",
    "stage_changes.csv": "opportunity_id,stage,entered_at\nO1,proposal,2024-03-01\nO1,,2024-03-02\nO9,won,bad\n",
    "settings.csv": "key,value\nwindow_days,90\nas_of,yesterday\nnonsense,1\nsales_target_quarter,x\n",
    "spend.csv": "period_start,period_end,team,program,amount,description\n"
    "2024-01-01,2024-03-31,marketing,abm,100,ok\n2024-04-01,2024-03-31,sales,non-abm,-1,bad\n",
    "intent_signals.csv": "account_id,domain,date,topic,score,source\nA1,,2024-05-01,CRM,80,B\n,,2024-05-01,ERP,120,B\n",
}


def test_columns_check_like_rows_on_bad_rows(tmp_path):
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    columns, rows = outcome(read_folder(tmp_path)), outcome(by_rows(tmp_path))
    assert columns == rows
    assert len(columns["errors"]) > 20 and columns["warnings"]


def test_columns_check_a_file_without_a_required_column_like_rows(tmp_path):
    (tmp_path / "accounts.csv").write_text("account_id,tier\nA1,1\nA2,2\n", encoding="utf-8")
    columns = outcome(read_folder(tmp_path))
    assert columns == outcome(by_rows(tmp_path))
    assert [(e.line, e.column, e.reason) for e in columns["errors"]] == [
        (1, "name", "required column is missing")
    ]


cell = st.one_of(
    st.text(alphabet=st.sampled_from(list("aA1 -.,;:'=/")), max_size=8),
    st.sampled_from(
        [
            "",
            "1",
            "3",
            "4",
            "0",
            "true",
            "no",
            "2026-02-30",
            "2026-01-05",
            "05/01/2026",
            "1e9",
            "-1",
            "nan",
            "Tier 1",
            "A1",
            "A2",
            "C1",
            "won",
            "lost",
            "open",
            "strategic",
            "champion",
            "x.com",
            "1.234,5",
            "€ 12",
        ]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_columns_check_like_rows_on_random_cells(data):
    """Random cells in every column of every file kind: the same rows, errors and audit."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in data.draw(st.lists(st.sampled_from(list(SCHEMA)), min_size=1, max_size=4, unique=True)):
            header = list(SCHEMA[name])
            rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=6))
            lines = [",".join(header)] + [",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows]
            (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert outcome(read_folder(folder)) == outcome(by_rows(folder))


def test_content_keys_are_the_row_digests_of_before():
    """The keys that make re-imports idempotent must not change (a database holds them)."""
    import hashlib

    rows = [
        {"a": "x", "b": None, "c": datetime(2024, 5, 10, 10, 0), "d": 1.5},
        {"a": "x", "b": None, "c": datetime(2024, 5, 10, 10, 0), "d": 1.5},
        {"a": "", "b": "y", "c": date(2024, 5, 1), "d": 0.0},
    ]
    frame = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=object) for k in "abcd"})

    def before(row):
        digest = hashlib.sha1("\x1f".join(str(row[c] or "") for c in "abcd").encode()).hexdigest()[:32]
        return digest

    keys = content_keys(frame, ("a", "b", "c", "d"))
    assert list(keys) == [before(rows[0]) + "-0", before(rows[0]) + "-1", before(rows[2]) + "-0"]


def test_columns_check_like_rows_on_a_long_file_of_distinct_cells(tmp_path):
    """Columns of mostly distinct cells are parsed cell by cell (not per distinct cell): the same."""
    rows = [f"A{i},Name {i},d{i}.com,{i},{i % 3 + 1}" for i in range(3000)]
    rows[2500] = "A2500,Name,not a domain,-1,7"
    rows[2600] = "A1,Again,,,"
    (tmp_path / "accounts.csv").write_text("account_id,name,domain,employees,tier\n" + "\n".join(rows) + "\n")
    columns = outcome(read_folder(tmp_path))
    assert columns == outcome(by_rows(tmp_path))
    assert [(e.line, e.column) for e in columns["errors"]] == [
        (2502, "domain"),
        (2502, "employees"),
        (2502, "tier"),
        (2602, "account_id"),
    ]
    assert len(columns["frames"]["accounts.csv"]) == 2998


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["created", "updated", "unchanged", "merged", "skipped", "error", None]), max_size=30
    ),
    st.sets(st.integers(0, 29)),
    st.sampled_from(["plain.csv", 'odd, "name".csv', "=formula.csv"]),
)
def test_the_audit_csv_has_every_row_as_its_rows_say(statuses, noted, file):
    """The audit's CSV, written a run of rows at a time, is the rows one by one."""
    import csv
    import tempfile

    from abm_tui.importers.audit import Audit
    from abm_tui.importers.values import neutralise

    audit = Audit()
    lines = [2 + 3 * i for i in range(len(statuses))]
    audit.rows_read(file, np.array(lines, dtype=np.int64))
    for i, (line, status) in enumerate(zip(lines, statuses, strict=True)):
        if status:
            audit.mark(file, line, status, 'why, "quoted"' if i in noted else "", "=x" if i % 3 == 0 else "")
        if i in noted:
            audit.note(file, line, "a note")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.csv"
        audit.write_csv(path)
        with path.open(newline="", encoding="utf-8") as fh:
            written = list(csv.reader(fh))
    expected = [
        [neutralise(file), str(line), status, neutralise(mark.text())]
        for line, status, mark in audit.rows(file)
    ]
    assert written == [["file", "line", "status", "reason"], *expected]
    assert len(written) == len(statuses) + 1


def test_columns_read_like_rows_with_a_byte_order_mark_and_a_huge_cell():
    """Kept by `--encoding utf-8`, `csv` reads a BOM as part of the first name (pandas would drop
    it); a cell over `csv`'s field limit is an error (pandas has none): the same either way."""
    assert both("\ufeffa,b\n1,2\n")[1] == both("\ufeffa,b\n1,2\n")[0]
    assert both("\ufeffa,b\n1,2\n")[1][0] == ["\ufeffa", "b"]
    huge = "x" * 140_000
    for text in (f"a,b\n1,{huge}\n2,3\n", f'a,b\n1,"{huge[:70_000]}\n{huge[:70_000]}"\n2,3\n'):
        by_rows, by_columns = both(text)
        assert by_columns == by_rows
        assert [e.reason for e in by_columns[3]] == [
            "not a readable CSV file: field larger than field limit (131072)"
        ]


# ---- a batch read lazily, the later kinds by a second process ------------------------------------


def lazily(paths: list[Path]) -> tuple[Batch, list[str]]:
    """`read_inputs(lazy=True)` with each kind asked for in the order the store writes them, then
    finished; and which kinds the second process read."""
    batch = reader.read_inputs(paths, lazy=True)
    later = batch.later
    assert isinstance(later, reader.Later)
    ahead = list(later.ahead)
    for kind in ("accounts.csv", "contacts.csv", "opportunities.csv", "engagements.csv", "stage_changes.csv"):
        batch.ready(kind)
    batch.finish()
    assert batch.later is None
    return batch, ahead


def test_a_batch_read_lazily_is_the_batch_read_at_once(tmp_path, monkeypatch):
    """Rows, content keys, errors and warnings (in the same order), audit: the same as when every
    file is read at once, on the bad rows and on the demo, with and without the second process."""
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(reader, "_second_process", lambda: True)  # (pytest may run threads)
    for folder in (tmp_path, ROOT / "fixtures" / "demo"):
        at_once = reader.read_inputs([folder])
        monkeypatch.setattr(reader, "AHEAD_BYTES", 1 << 40)
        here, none_ahead = lazily([folder])
        monkeypatch.setattr(reader, "AHEAD_BYTES", 0)
        apart, ahead = lazily([folder])
        assert none_ahead == []
        assert ahead == ["contacts.csv", "engagements.csv", "stage_changes.csv", "intent_signals.csv"]
        for batch in (here, apart):
            assert outcome(batch) == outcome(at_once)
            assert batch.errors == at_once.errors and batch.warnings == at_once.warnings  # (and (0, …) ones)
            assert list(batch.audit.read) == list(at_once.audit.read)  # the files in the order given
        if folder == tmp_path:
            assert [e.line for e in apart.errors if e.file == "engagements.csv"] == [5, 5, 6, 6]


def test_a_lazy_batch_reads_a_kind_when_it_is_asked_for(tmp_path):
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    batch = reader.read_inputs([tmp_path], lazy=True)
    assert batch.parts == {} and batch.errors == []
    assert len(batch.frame("accounts.csv")) == 1 and batch.rejected["accounts.csv"]  # (one good row)
    assert set(batch.parts) == {"accounts.csv"}
    assert batch.errors == []  # (the reading's errors come once all is read, in their order)
    batch.finish()
    assert set(batch.parts) == set(SCHEMA) and len(batch.errors) > 20


def test_no_second_process_is_forked_from_a_process_with_threads(tmp_path, monkeypatch):
    """The app imports in a thread: a fork could inherit a lock another thread holds."""
    import threading

    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(reader, "AHEAD_BYTES", 0)
    at_once, seen = reader.read_inputs([tmp_path]), {}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        seen["batch"], seen["ahead"] = lazily([tmp_path])
    finally:
        stop.set()
        other.join()
    assert seen["ahead"] == [] and outcome(seen["batch"]) == outcome(at_once)


def test_a_mixed_import_is_read_at_once(tmp_path):
    """A CRM export beside generic files: read at once (a CRM file's reading can depend on others)."""
    (tmp_path / "accounts.csv").write_text(BAD["accounts.csv"], encoding="utf-8")
    deals = ROOT / "fixtures" / "samples" / "hubspot-deals-only"
    batch = reader.read_inputs([tmp_path, *sorted(deals.glob("*.csv"))], lazy=True)
    assert batch.later is None and batch.parts


PARENT = os.getpid()
READ_APART = reader._read_apart


def _die_in_the_child(*args: object) -> Batch:
    if os.getpid() != PARENT:
        os._exit(1)
    return READ_APART(*args)  # type: ignore[arg-type]


def test_files_are_read_here_when_the_second_process_dies(tmp_path, monkeypatch):
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    at_once = reader.read_inputs([tmp_path])
    monkeypatch.setattr(reader, "AHEAD_BYTES", 0)
    monkeypatch.setattr(reader, "_second_process", lambda: True)
    monkeypatch.setattr(reader, "_read_apart", _die_in_the_child)
    batch, ahead = lazily([tmp_path])
    assert ahead and outcome(batch) == outcome(at_once)


def test_a_generic_file_that_does_not_decode_past_its_first_bytes_is_left_out_with_the_reason(tmp_path):
    """Its header is read from its first 64 KiB; the bad byte further down is found when it is read
    whole: its line is given, the file has no rows in the audit, lazily or at once."""
    (tmp_path / "accounts.csv").write_text(BAD["accounts.csv"], encoding="utf-8")
    rows = "".join(f"C{i},A1,Person {i},,,\n" for i in range(5000))
    (tmp_path / "contacts.csv").write_bytes(
        b"contact_id,account_id,name,title,email,buying_role\n"
        + rows.encode()
        + "C9,A1,Caf\xe9 \x81,,,\n".encode("latin-1")
    )
    for batch in (reader.read_inputs([tmp_path]), lazily([tmp_path])[0]):
        fatal = [(e.file, e.line) for e in batch.errors if e.fatal]
        assert fatal == [("contacts.csv", 5002)]
        assert list(batch.audit.read) == ["accounts.csv"] and "contacts.csv" not in batch.parts


CRASHING = """
import sys, time
from pathlib import Path
from abm_tui.importers import reader
reader.AHEAD_BYTES = 0
batch = reader.read_inputs([Path(sys.argv[1])], lazy=True)
batch.ready("accounts.csv")
print(batch.later.folder, batch.later.process.pid, flush=True)
time.sleep(60)  # (killed before)
"""


def test_a_killed_import_leaves_no_second_process_and_no_files(tmp_path):
    """kill -9 of the importing process: the second process finds the line hung up, removes the
    files it made and ends."""
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in BAD.items():
        (folder / name).write_text(text, encoding="utf-8")
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING)
    importing = subprocess.Popen(
        [sys.executable, str(script), str(folder)], stdout=subprocess.PIPE, text=True
    )
    files, pid = importing.stdout.readline().split()
    assert Path(files).is_dir()
    importing.send_signal(signal.SIGKILL)
    importing.wait()
    for _ in range(100):
        if not Path(files).exists() and not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.05)
    assert not Path(files).exists()
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_a_stopped_import_stops_the_second_process_and_removes_its_files(tmp_path, monkeypatch):
    """`Batch.close` (the store stopped on an exception) while the second process may still read."""
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(reader, "AHEAD_BYTES", 0)
    monkeypatch.setattr(reader, "_second_process", lambda: True)
    batch = reader.read_inputs([tmp_path], lazy=True)
    later = batch.later
    assert isinstance(later, reader.Later) and later.process is not None and later.folder is not None
    process, folder = later.process, later.folder
    batch.ready("accounts.csv")
    batch.close()
    assert batch.later is None and not process.is_alive() and not Path(folder).exists()
