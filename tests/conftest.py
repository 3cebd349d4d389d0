"""Shared fixtures: an isolated environment and real SQLite databases (never mocks)."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from abm_tui.store.db import open_store
from abm_tui.store.demo import load_demo

# The demo is loaded as if today were this date, and metrics are computed as of it.
DEMO_TODAY = date(2026, 11, 20)


def generate(out: Path, accounts: int) -> None:
    """CSV files of `accounts` generated accounts (fixtures/generate.py, the demo's generator at another
    size and seed than the demo's own data)."""
    import importlib.util

    from abm_tui.store.demo import demo_folder

    spec = importlib.util.spec_from_file_location("generate", demo_folder().parent / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(out, accounts=accounts)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Never touch the real user data, log or config folders; drop the log handlers a CLI call adds."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("ABM_TUI_DB", str(tmp_path / "default.sqlite"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    logger = logging.getLogger("abm_tui")
    before = list(logger.handlers)
    yield
    for handler in logger.handlers[:]:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()


def require(what: str, reason: str) -> None:
    """A tool the tests need is missing: under CI (CI=true) the run fails with one line, so a green CI
    always means these tests ran; on a developer's machine they are skipped with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {what}: {reason}", pytrace=False)
    pytest.skip(f"{what} tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the whole run (skipped with the reason where it cannot start; under CI
    that fails the run)."""
    from tests.pg import PostgresServer

    try:
        server = PostgresServer()
    except RuntimeError as exc:
        require("PostgreSQL", str(exc))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database of each kind: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'abm.sqlite'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo data loaded once per test session; tests get their own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine, _ = open_store(f"sqlite:///{path}")
    load_demo(engine, today=DEMO_TODAY)
    with engine.connect() as conn:  # fold the WAL into the main file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path) -> Path:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def demo_engine(demo_db):
    engine, _ = open_store(f"sqlite:///{demo_db}")
    yield engine
    engine.dispose()
