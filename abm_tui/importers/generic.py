"""The generic CSV format of DESIGN §6: a folder of UTF-8 CSV files with a header row."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm_tui.importers import values as v
from abm_tui.importers.errors import RowError
from abm_tui.metrics.dataset import Params
from abm_tui.store.models import INTENTS, OUTCOMES, SOURCES

Parser = Callable[[str], Any]

# file → {column: (parser, required)}; the order is the order files are read and written.
SCHEMA: dict[str, dict[str, tuple[Parser, bool]]] = {
    "accounts.csv": {
        "account_id": (v.text, True),
        "name": (v.text, True),
        "domain": (v.domain, False),
        "industry": (v.text, False),
        "employees": (lambda s: v.integer(s, lo=0), False),
        "annual_revenue": (v.number, False),
        "region": (v.text, False),
        "owner_sales": (v.text, False),
        "owner_marketing": (v.text, False),
        "is_target": (v.boolean, False),
        "tier": (lambda s: v.integer(s, 1, 3), False),
        "icp_fit": (lambda s: v.integer(s, 1, 5), False),
        "churned_at": (v.iso_date, False),
    },
    "contacts.csv": {
        "contact_id": (v.text, True),
        "account_id": (v.text, True),
        "name": (v.text, False),
        "title": (v.text, False),
        "email": (lambda s: (v.text(s) or "").lower() or None, False),
        "buying_role": (v.buying_role, False),
    },
    "engagements.csv": {
        "account_id": (v.text, True),
        "contact_id": (v.text, False),
        "occurred_at": (v.iso_datetime, True),
        "channel": (v.text, False),
        "intent": (lambda s: v.choice(s, INTENTS), True),
        "description": (v.text, False),
    },
    "opportunities.csv": {
        "opportunity_id": (v.text, True),
        "account_id": (v.text, True),
        "name": (v.text, False),
        "amount": (v.number, True),
        "currency": (v.text, False),
        "stage": (v.text, True),
        "created_at": (v.iso_date, True),
        "close_date": (v.iso_date, False),
        "outcome": (lambda s: v.choice(s, OUTCOMES), True),
        "source": (lambda s: v.choice(s, SOURCES), False),
    },
    "stage_changes.csv": {
        "opportunity_id": (v.text, True),
        "stage": (v.text, True),
        "entered_at": (v.iso_date, True),
    },
    "settings.csv": {
        "key": (v.text, True),
        "value": (lambda s: s.strip(), True),
    },
}
KEYS = {
    "accounts.csv": "account_id",
    "contacts.csv": "contact_id",
    "opportunities.csv": "opportunity_id",
    "settings.csv": "key",
}
NUMERIC_SETTINGS = {f for f in Params.__dataclass_fields__}
TEXT_SETTINGS = {"user_name", "as_of"}


@dataclass
class Batch:
    """Validated rows of one import, by file, each row with its `_line`; or the errors."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    columns: dict[str, set[str]] = field(default_factory=dict)  # the columns each file has
    rejected: dict[str, set[str]] = field(default_factory=dict)  # ids of rows already reported
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def decode(path: Path, errors: list[RowError]) -> str | None:
    """The file's text (UTF-8, BOM allowed); a bad byte is reported with its real line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(path.name, 0, "-", f"cannot read the file: {exc.strerror}"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(RowError(path.name, line, "-", "the file is not valid UTF-8"))
        return None


def read_rows(path: Path, errors: list[RowError]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows (with their line numbers) of a CSV file; problems go to `errors`."""
    name = path.name
    text = decode(path, errors)
    if text is None:
        return [], []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        if not header:
            errors.append(RowError(name, 1, "-", "the file is empty (a header row is required)"))
            return [], []
        for raw in reader:
            if None in raw:
                errors.append(RowError(name, reader.line_num, "-", "more cells than header columns"))
                continue
            if all(not (c or "").strip() for c in raw.values()):
                continue
            rows.append((reader.line_num, {k.strip(): (c or "") for k, c in raw.items() if k}))
    except csv.Error as exc:
        errors.append(RowError(name, reader.line_num, "-", f"not a readable CSV file: {exc}"))
    return header, rows


def read_folder(folder: Path) -> Batch:
    """Parse and check every generic file in `folder` (only accounts.csv is required)."""
    batch = Batch()
    if not folder.is_dir():
        batch.errors.append(RowError(str(folder), 0, "-", "not a folder"))
        return batch
    if not (folder / "accounts.csv").exists():
        batch.errors.append(RowError("accounts.csv", 0, "-", f"missing: {folder} has no accounts.csv"))
    for name, columns in SCHEMA.items():
        path = folder / name
        if not path.exists():
            continue
        batch.files.append(path)
        _read_file(batch, path, columns)
    return batch


def _read_file(batch: Batch, path: Path, columns: dict[str, tuple[Parser, bool]]) -> None:
    name, errors = path.name, batch.errors
    header, raw_rows = read_rows(path, errors)
    batch.columns[name] = set(header)
    out = batch.rows.setdefault(name, [])
    rejected = batch.rejected.setdefault(name, set())
    missing = [c for c, (_, required) in columns.items() if required and c not in header]
    if header and missing:
        for col in missing:
            errors.append(RowError(name, 1, col, "required column is missing"))
        return
    seen: dict[str, int] = {}
    key = KEYS.get(name)
    for line, raw in raw_rows:
        if key:
            ident = raw.get(key, "").strip()
            if ident in seen:
                errors.append(
                    RowError(name, line, key, f"duplicate id {ident!r} (first on line {seen[ident]})")
                )
                continue
            if ident:
                seen[ident] = line
        row: dict[str, Any] = {"_line": line}
        ok = True
        for col, (parse, required) in columns.items():
            try:
                value = parse(raw.get(col, ""))
            except ValueError as exc:
                errors.append(RowError(name, line, col, str(exc)))
                ok = False
                continue
            if required and value in (None, ""):
                errors.append(RowError(name, line, col, "required value is empty"))
                ok = False
            row[col] = value
        check = ROW_CHECKS.get(name)
        if ok and check:
            ok = check(name, row, errors, batch.warnings)
        if ok:
            out.append(row)
        elif key and raw.get(key, "").strip():
            rejected.add(raw[key].strip())
    if name == "engagements.csv":
        _engagement_keys(out)


def _check_account(name: str, row: dict[str, Any], errors: list[RowError], _w: list[RowError]) -> bool:
    if row["is_target"] is None:
        row["is_target"] = row["tier"] is not None
    elif row["is_target"] is False and row["tier"] is not None:
        errors.append(RowError(name, row["_line"], "tier", "a tier is set but is_target is false"))
        return False
    return True


def _check_opportunity(
    name: str, row: dict[str, Any], errors: list[RowError], warnings: list[RowError]
) -> bool:
    if row["outcome"] in ("won", "lost") and row["close_date"] is None:
        errors.append(
            RowError(name, row["_line"], "close_date", f"required when the outcome is {row['outcome']}")
        )
        return False
    if row["amount"] < 0:
        errors.append(RowError(name, row["_line"], "amount", "must not be negative"))
        return False
    if row["close_date"] is not None and row["close_date"] < row["created_at"]:
        warnings.append(RowError(name, row["_line"], "close_date", "before created_at (imported as it is)"))
    return True


def _check_setting(name: str, row: dict[str, Any], errors: list[RowError], _w: list[RowError]) -> bool:
    key, value = row["key"], row["value"]
    if key in TEXT_SETTINGS:
        if key == "as_of":
            try:
                v.iso_date(value)
            except ValueError as exc:
                errors.append(RowError(name, row["_line"], "value", str(exc)))
                return False
        return True
    if key not in NUMERIC_SETTINGS:
        known = ", ".join(sorted(NUMERIC_SETTINGS | TEXT_SETTINGS))
        errors.append(RowError(name, row["_line"], "key", f"unknown setting {key!r} (known: {known})"))
        return False
    try:
        v.number(value)
    except ValueError as exc:
        errors.append(RowError(name, row["_line"], "value", str(exc)))
        return False
    return True


ROW_CHECKS = {
    "accounts.csv": _check_account,
    "opportunities.csv": _check_opportunity,
    "settings.csv": _check_setting,
}


def _engagement_keys(rows: list[dict[str, Any]]) -> None:
    """A stable key per engagement row: its content plus how many identical rows came before it."""
    seen: dict[str, int] = {}
    for row in rows:
        content = "\x1f".join(
            str(row[c] or "")
            for c in ("account_id", "contact_id", "occurred_at", "channel", "intent", "description")
        )
        digest = hashlib.sha1(content.encode()).hexdigest()[:32]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        row["source_key"] = f"{digest}-{n}"
