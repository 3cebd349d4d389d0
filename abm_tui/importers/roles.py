"""Buying roles inferred from job titles, with an editable rule table (title_roles.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from abm_tui.domain import BUYING_ROLES

Rules = tuple[tuple[str, re.Pattern[str]], ...]


def load_rules(path: Path | None = None) -> Rules:
    """The rule table: `[[rule]] role = "...", pattern = "..."`; the bundled one when `path` is None."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else (files("abm_tui.importers") / "title_roles.toml").read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    rules = []
    for i, rule in enumerate(data.get("rule", []), start=1):
        role = rule.get("role")
        if role not in BUYING_ROLES:
            raise ValueError(f"rule {i}: {role!r} is not a buying role ({', '.join(BUYING_ROLES)})")
        rules.append((role, re.compile(rule["pattern"], re.IGNORECASE)))
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return load_rules()


@lru_cache(maxsize=1)
def look_for() -> dict[str, tuple[str, ...]]:
    """Titles to look for per buying role (the bundled rules' `look_for`): who to find for a gap."""
    data = tomllib.loads((files("abm_tui.importers") / "title_roles.toml").read_text(encoding="utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for rule in data.get("rule", []):
        out.setdefault(rule["role"], tuple(rule.get("look_for", ())))
    return out


def infer_role(title: str | None, rules: Rules | None = None) -> str | None:
    """The first rule whose pattern is in the title, or None."""
    if not title:
        return None
    for role, pattern in rules if rules is not None else default_rules():
        if pattern.search(title):
            return role
    return None
