"""Where the database lives: `--db`, else `ABM_TUI_DB`, else one SQLite file in the user data dir;
and the person's own preferences (the theme), which belong to no database."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_data_path, user_log_path

APP_NAME = "abm-tui"
ENV_DB = "ABM_TUI_DB"


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    return user_log_path(APP_NAME, appauthor=False)


def preferences() -> dict[str, str]:
    """The user's own preferences (`ui.json` in the data dir); none when missing or unreadable."""
    try:
        data = json.loads((data_dir() / "ui.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_preference(key: str, value: str) -> None:
    """Remember one preference; a read-only data folder just means it is not remembered."""
    prefs = preferences() | {key: value}
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        (data_dir() / "ui.json").write_text(json.dumps(prefs, indent=2), encoding="utf-8")
    except OSError:
        pass


def default_db_path() -> Path:
    return data_dir() / "abm.sqlite"


def to_url(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as SQLite)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def resolve_db_url(cli_value: str | None = None) -> str:
    if cli_value:
        return to_url(cli_value)
    env = os.environ.get(ENV_DB)
    if env:
        return to_url(env)
    return to_url(str(default_db_path()))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (`sqlite:///path`, also with a driver or a query string); None for
    other databases and in-memory ones. Plain string work: the first screen uses it before SQLAlchemy."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.split("+")[0] != "sqlite":
        return None
    path = rest.split("?")[0]
    return Path(path) if path and path != ":memory:" else None
