"""Real processes killed with SIGKILL: an import leaves the database exactly as before it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import generate

ABM_TUI = Path(sys.executable).with_name("abm-tui")
TABLES = ("account", "contact", "engagement", "opportunity", "stagechange", "setting", "decision")


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_import_killed_inside_its_write_transaction_changes_nothing(tmp_path):
    """SIGKILL while the import is writing — proven by the WAL file growing, at three depths of the
    one transaction — leaves the database exactly as before and intact; the import then goes through."""
    db = tmp_path / "abm.sqlite"
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([ABM_TUI, "demo", "--db", db], check=True, capture_output=True, env=env)
    before = counts(db)
    big = tmp_path / "big"
    generate(big, accounts=3000)  # ~180,000 rows: the write transaction grows the WAL to ~40 MB
    for depth in (64 << 10, 8 << 20, 30 << 20):  # just begun, midway, near the end
        with sqlite3.connect(db) as conn:  # an empty WAL, so what grows it is the import's writing
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert wal_bytes(db) == 0
        proc = subprocess.Popen([ABM_TUI, "import", big, "--db", db], env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while wal_bytes(db) < depth:  # the CSVs are parsed first; the WAL grows only once writing began
            assert proc.poll() is None, f"the import ended before its WAL reached {depth:,} bytes"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with sqlite3.connect(db) as conn:  # opening it recovers (rolls back) the killed transaction
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert counts(db) == before, f"killed with {depth:,} bytes in the WAL"
    # And the same import, not killed, goes through afterwards.
    subprocess.run([ABM_TUI, "import", big, "--db", db], check=True, capture_output=True, env=env)
    assert counts(db)["account"] == 3000  # the demo's 300 ids are among the 3,000 (updated, not duplicated)
