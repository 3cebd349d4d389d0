"""The real `abm-tui` process in tmux, driven by keys like a person would, checked in the database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require


@pytest.fixture(autouse=True)
def tmux_installed():
    if shutil.which("tmux") is None:
        require("tmux", "tmux is not installed (apt-get install tmux)")


ABM_TUI = Path(sys.executable).with_name("abm-tui")


class Tmux:
    """A tmux session running one command."""

    def __init__(self, name: str, command: str, env: dict[str, str]):
        self.name = name
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        # COLUMNS/LINES left by other tests in this process would override the pane's real size.
        env = {**env, "COLUMNS": "160", "LINES": "48"}
        envs = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", *envs, command], check=True
        )

    def screen(self, styled: bool = False) -> str:
        """The pane's text (`styled`: with its colours, which show where the focus is)."""
        return subprocess.run(
            ["tmux", "capture-pane", "-p", *(["-e"] if styled else []), "-t", self.name],
            capture_output=True,
            text=True,
        ).stdout

    def steady(self, timeout: float = 10) -> str:
        """The screen once it has stopped changing (two captures 0.15 s apart are the same)."""
        deadline = time.monotonic() + timeout
        before = self.screen(styled=True)
        while time.monotonic() < deadline:
            time.sleep(0.15)
            now = self.screen(styled=True)
            if now == before:
                return now
            before = now
        raise AssertionError("the screen kept changing")

    def keys_then_repaint(self, *keys: str, timeout: float = 10) -> None:
        """Send keys and wait until the screen (colours included) changes: a focus move is painted
        before the next keys go out, as a person would see it before typing on."""
        before = self.steady()
        self.keys(*keys)
        deadline = time.monotonic() + timeout
        while self.screen(styled=True) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing changed on screen after {keys}")
            time.sleep(0.02)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(
            ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True
        )

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def decisions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT kind, from_tier, to_tier, reason FROM decision ORDER BY id").fetchall()


def test_search_open_retier_and_quit_in_a_real_terminal(demo_db, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm-256color"}
    t = Tmux(f"abm-e2e-{tmp_path.name}", f"{ABM_TUI} --db {demo_db} --as-of 2026-11-20", env)
    try:
        t.wait_for("of 200 targets")
        t.keys("/")
        t.wait_for("search name or domain")  # the box is open: typed letters land in it
        t.keys("Highmere", literal=True)
        t.wait_for("1 of 200 targets")
        t.keys_then_repaint("Enter")  # leave the search box (the focus moves to the list)
        t.keys("Enter")  # open the account
        t.wait_for("Engagement score")
        t.keys("Escape")
        t.wait_for("1 of 200 targets")
        t.keys("3")
        t.wait_for("Tier 3")  # the toast: "Highmere Biotech plc: Tier 1 → Tier 3" (may wrap)
        assert decisions(demo_db) == [("retier", 1, 3, None)]
        t.keys("d")
        t.wait_for("why?")
        t.keys("wrong segment", literal=True)
        t.keys("Enter")
        t.wait_for("dropped: wrong segment")
        t.keys("u")
        t.wait_for("restored (undo)")
        assert [d[0] for d in decisions(demo_db)] == ["retier", "drop", "restore"]
        t.keys("q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "of 200 targets" in t.screen():
            time.sleep(0.05)
        assert "Traceback" not in t.screen()
    finally:
        t.close()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tier, status = conn.execute(
            "SELECT tier, status FROM account WHERE name = 'Highmere Biotech plc'"
        ).fetchone()
    assert (tier, status) == (3, "active")


def test_kill_9_mid_meeting_then_resume(demo_db, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm-256color"}
    command = f"exec {ABM_TUI} --db {demo_db} --as-of 2026-11-20"
    t = Tmux(f"abm-kill-{tmp_path.name}", command, env)
    try:
        t.wait_for("of 200 targets")
        t.keys("m")
        t.wait_for("who is present?")
        t.keys("Sam Jansen", literal=True)
        t.keys_then_repaint("Tab")  # the focus is in the second field before its name is typed
        t.keys("Mia de Vries", literal=True)
        t.keys("Enter")
        t.wait_for("0 decided")
        t.keys("3")
        t.wait_for("your reason?")
        t.keys("Enter")
        t.wait_for("1 decided")
        pid = subprocess.run(
            ["tmux", "display-message", "-p", "-t", t.name, "#{pane_pid}"], capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(["kill", "-9", pid], check=True)
    finally:
        t.close()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT kind, decided_by FROM decision").fetchall() == [
            ("retier", "Sam Jansen, Mia de Vries")
        ]
        assert conn.execute("SELECT ended_at FROM meeting").fetchall() == [(None,)]

    t = Tmux(f"abm-resume-{tmp_path.name}", command, env)
    try:
        t.wait_for("A meeting was not ended")
        t.keys("r")
        t.wait_for("1 decided")
        t.keys("e")
        t.wait_for("End the meeting?")
        t.keys("e")
        t.wait_for("Minutes saved to")
    finally:
        t.close()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("SELECT ended_at IS NOT NULL FROM meeting").fetchall() == [(1,)]
    assert list((demo_db.parent / f"{demo_db.stem}-minutes").glob("*-meeting-1.md"))  # beside the database


def test_kill_9_during_a_burst_of_decisions_leaves_every_saved_one_whole(demo_db, tmp_path):
    """Retiers of account after account as fast as keys go, the process killed once ten are saved:
    each saved decision has its account change with it (one transaction each), the file is intact."""
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm-256color"}
    with sqlite3.connect(demo_db) as conn:
        versions_before = dict(conn.execute("SELECT id, version FROM account"))
    t = Tmux(f"abm-burst-{tmp_path.name}", f"exec {ABM_TUI} --db {demo_db} --as-of 2026-11-20", env)
    try:
        t.wait_for("of 200 targets")
        t.keys("o")  # sorted by name: a retier does not move the row, so Down is the next account
        t.wait_for("sorted by name")
        t.steady()
        t.keys(*["2", "Down"] * 60)
        deadline = time.monotonic() + 60
        while True:
            with sqlite3.connect(demo_db, timeout=5) as conn:
                saved = conn.execute("SELECT count(*) FROM decision").fetchone()[0]
            if saved >= 10:
                break
            assert time.monotonic() < deadline, f"only {saved} decisions were saved"
            time.sleep(0.005)
        pid = subprocess.run(
            ["tmux", "display-message", "-p", "-t", t.name, "#{pane_pid}"], capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(["kill", "-9", pid], check=True)
    finally:
        t.close()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        made = conn.execute("SELECT account_id, from_tier, to_tier FROM decision ORDER BY id").fetchall()
        accounts = {r[0]: r[1:] for r in conn.execute("SELECT id, tier, version FROM account")}
    assert len(made) >= 10
    for account_id, (tier, version) in accounts.items():
        own = [(f, to) for a, f, to in made if a == account_id]
        # every logged decision changed its account, and nothing else did: one transaction each
        assert version == versions_before[account_id] + len(own), account_id
        if own:
            assert tier == own[-1][1] == 2
