"""Real processes killed with SIGKILL: an import leaves the database exactly as before it."""

from __future__ import annotations

import importlib.util
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from abm_tui.store.demo import demo_folder

ABM_TUI = Path(sys.executable).with_name("abm-tui")
TABLES = ("account", "contact", "engagement", "opportunity", "stagechange", "setting", "decision")


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def generate(out: Path, accounts: int) -> None:
    spec = importlib.util.spec_from_file_location("generate", demo_folder().parent / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(out, accounts=accounts)


def test_import_killed_midway_changes_nothing(tmp_path):
    db = tmp_path / "abm.sqlite"
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([ABM_TUI, "demo", "--db", db], check=True, capture_output=True, env=env)
    before = counts(db)
    big = tmp_path / "big"
    generate(big, accounts=3000)  # ~180,000 rows: several seconds to import
    proc = subprocess.Popen([ABM_TUI, "import", big, "--db", db], env=env, stdout=subprocess.PIPE)
    time.sleep(2.0)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert counts(db) == before
    # And the same import, not killed, goes through afterwards.
    subprocess.run([ABM_TUI, "import", big, "--db", db], check=True, capture_output=True, env=env)
    assert counts(db)["account"] == 3000  # the demo's 300 ids are among the 3,000 (updated, not duplicated)
