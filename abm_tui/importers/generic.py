"""The generic CSV format of DESIGN §6: a folder of CSV files with a header row (and the checks all importers share)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm_tui.domain import INTENTS, OUTCOMES, SOURCES, Params
from abm_tui.importers import values as v
from abm_tui.importers.audit import Audit
from abm_tui.importers.errors import RowError
from abm_tui.importers.formats import (
    DEFAULT_OPTIONS,
    ReadOptions,
    parse_date,
    parse_datetime,
    parse_number,
    read_table,
)
from abm_tui.importers.roles import Rules, infer_role

Parser = Callable[[str, ReadOptions], Any]


def _p(fn: Callable[[str], Any]) -> Parser:
    """A parser that needs no options (`add_rows` calls `fn` itself: one call less per cell)."""
    parser = lambda raw, _options: fn(raw)  # noqa: E731
    parser.plain = fn  # type: ignore[attr-defined]
    return parser


TEXT, NUMBER = _p(v.text), (lambda raw, o: parse_number(raw, o.decimal_comma))
DATE = lambda raw, o: parse_date(raw, o.date_format)  # noqa: E731
DATETIME = lambda raw, o: parse_datetime(raw, o.date_format)  # noqa: E731

TEAMS = ("sales", "marketing")  # spend.csv's team and program
PROGRAMS = ("abm", "non_abm")
# file → {column: (parser, required)}; the order is the order files are read and written.
SCHEMA: dict[str, dict[str, tuple[Parser, bool]]] = {
    "accounts.csv": {
        "account_id": (TEXT, True),
        "name": (TEXT, True),
        "domain": (_p(v.domain), False),
        "industry": (TEXT, False),
        "employees": (lambda raw, _o: v.integer_like(raw, lo=0), False),
        "annual_revenue": (NUMBER, False),
        "region": (TEXT, False),
        "owner_sales": (TEXT, False),
        "owner_marketing": (TEXT, False),
        "is_target": (_p(v.boolean), False),
        "tier": (_p(v.tier), False),
        "icp_fit": (_p(lambda s: v.integer(s, 1, 5)), False),
        "churned_at": (DATE, False),
        "status": (_p(lambda s: v.choice(s, ("active", "dropped"))), False),
        "dropped_reason": (TEXT, False),
        "hubspot_id": (TEXT, False),
        "salesforce_id": (TEXT, False),
    },
    "contacts.csv": {
        "contact_id": (TEXT, True),
        "account_id": (TEXT, True),
        "name": (TEXT, False),
        "title": (TEXT, False),
        "email": (_p(lambda s: (v.text(s) or "").lower() or None), False),
        "phone": (TEXT, False),
        "buying_role": (_p(v.buying_role), False),
        "hubspot_id": (TEXT, False),
        "salesforce_id": (TEXT, False),
    },
    "engagements.csv": {
        "account_id": (TEXT, True),
        "contact_id": (TEXT, False),
        "occurred_at": (DATETIME, True),
        "channel": (TEXT, False),
        "intent": (_p(lambda s: v.choice(s, INTENTS)), True),
        "description": (TEXT, False),
    },
    "opportunities.csv": {
        "opportunity_id": (TEXT, True),
        "account_id": (TEXT, True),
        "name": (TEXT, False),
        "amount": (NUMBER, True),
        "currency": (TEXT, False),
        "stage": (TEXT, True),
        "created_at": (DATE, True),
        "close_date": (DATE, False),
        "outcome": (_p(lambda s: v.choice(s, OUTCOMES)), True),
        "source": (_p(lambda s: v.choice(s, SOURCES)), False),
        "lost_reason": (TEXT, False),
        "hubspot_id": (TEXT, False),
        "salesforce_id": (TEXT, False),
    },
    "stage_changes.csv": {
        "opportunity_id": (TEXT, True),
        "stage": (TEXT, True),
        "entered_at": (DATE, True),
    },
    "settings.csv": {
        "key": (TEXT, True),
        "value": (_p(lambda s: s.strip()), True),
    },
    "spend.csv": {
        "period_start": (DATE, True),
        "period_end": (DATE, True),
        "team": (_p(lambda s: v.choice(s, TEAMS)), True),
        "program": (_p(lambda s: v.choice(s.replace("-", "_").replace(" ", "_"), PROGRAMS)), True),
        "amount": (NUMBER, True),
        "description": (TEXT, False),
    },
    "intent_signals.csv": {
        "account_id": (TEXT, False),
        "domain": (_p(v.domain), False),
        "date": (DATE, True),
        "topic": (TEXT, True),
        "score": (_p(lambda s: v.bounded(s, 0, 100)), True),
        "source": (TEXT, False),
    },
}
KEYS = {
    "accounts.csv": "account_id",
    "contacts.csv": "contact_id",
    "opportunities.csv": "opportunity_id",
    "settings.csv": "key",
}
NUMERIC_SETTINGS = {f for f in Params.__dataclass_fields__}
TEXT_SETTINGS = {"user_name", "as_of", "currency"}


@dataclass
class Batch:
    """Validated rows of one import, by file, each row with its `_line`; or the errors."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    columns: dict[str, set[str]] = field(default_factory=dict)  # the columns each file has
    rejected: dict[str, set[str]] = field(default_factory=dict)  # ids of rows already reported
    seen: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)  # id → (file, line) per kind
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    options: ReadOptions = field(default_factory=ReadOptions)
    roles: Rules | None = None  # title → role rules (None: the bundled ones)
    on_rows: Callable[[int], None] | None = None  # told how many rows have been checked so far
    checked: int = 0
    audit: Audit = field(default_factory=Audit)
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # file → {generic column: its own}
    lenient: set[str] = field(default_factory=set)  # CRM files: rows without a company are skipped, not bad
    skip_bad_rows: bool = False  # import the good rows of a file with bad ones (the audit lists the bad)
    skip_bad_files: set[str] = field(default_factory=set)  # files whose mapping says so
    unknown_stages: Counter = field(default_factory=Counter)  # (file, label) → rows imported as open
    notes: list[str] = field(default_factory=list)  # one-line facts about the run for the summary
    unrecognised: list[str] = field(default_factory=list)  # files no format or mapping fits
    demo: bool = False  # the bundled demo data (the header says so)

    def rejects(self, error: RowError) -> bool:
        """Whether this problem rejects the run (not a bad row that --skip-bad-rows or a mapping skips)."""
        return error.fatal or error.line <= 1 or not (self.skip_bad_rows or error.file in self.skip_bad_files)

    def column(self, file: str, generic: str) -> str:
        """The column as the user's file names it."""
        return self.names.get(file, {}).get(generic, generic)


def read_folder(
    folder: Path,
    options: ReadOptions = DEFAULT_OPTIONS,
    roles: Rules | None = None,
    batch: Batch | None = None,
) -> Batch:
    """Parse and check every generic file in `folder` (only accounts.csv is required), into `batch`."""
    batch = batch if batch is not None else Batch(options=options, roles=roles)
    if not folder.is_dir():
        batch.errors.append(RowError(str(folder), 0, "-", "not a folder"))
        return batch
    if not (folder / "accounts.csv").exists():
        batch.errors.append(
            RowError("accounts.csv", 0, "-", f"missing from {folder} (the one file the format requires)")
        )
    for path in sorted(folder.glob("*.csv")):
        if path.name not in SCHEMA:
            batch.warnings.append(
                RowError(
                    path.name, 0, "-", f"skipped: not a file of the generic format ({', '.join(SCHEMA)})"
                )
            )
    for name in SCHEMA:
        path = folder / name
        if not path.exists():
            continue
        batch.files.append(path)
        header, raw_rows, file_options = read_table(path, batch.errors, options)
        batch.audit.rows_read(name, [line for line, _ in raw_rows])
        add_rows(batch, name, header, raw_rows, source=name, options=file_options)
    return batch


def add_rows(
    batch: Batch,
    name: str,
    header: list[str],
    raw_rows: list[tuple[int, dict[str, str]]],
    *,
    source: str,
    column_names: dict[str, str] | None = None,
    options: ReadOptions | None = None,
    lenient: bool = False,
    derived: bool = False,
) -> None:
    """Check rows given in the generic columns of file kind `name` and add the good ones to `batch`.

    `source` and `column_names` (generic column → the file's own) make errors name the user's file.
    `lenient` (CRM files): a row without a company is kept for the store to place or skip, and a
    row repeating an id is merged into the first. `derived` rows (made from another row, such as
    HubSpot's stage dates) are not rows of the file: a problem with one is a warning.
    """
    columns = SCHEMA[name]
    errors = batch.warnings if derived else batch.errors
    names: dict[str, str] = column_names or {}

    def col(c: str) -> str:
        return names.get(c, c)

    if not derived:
        batch.names[source] = {c: col(c) for c in columns}
        if lenient:
            batch.lenient.add(source)
    batch.columns.setdefault(name, set()).update(header)
    out = batch.rows.setdefault(name, [])
    rejected = batch.rejected.setdefault(name, set())
    optional = {"account_id"} if lenient and name in ("contacts.csv", "opportunities.csv") else set()
    missing = [
        c for c, (_, required) in columns.items() if required and c not in header and c not in optional
    ]
    if header and missing:
        for c in missing:
            errors.append(RowError(source, 1, col(c), "required column is missing", fatal=True))
        for line, _ in raw_rows:
            batch.audit.mark(source, line, "error", "the file lacks a required column", col(missing[0]))
        return
    seen = batch.seen.setdefault(name, {})  # across every file of this kind in the import
    key = KEYS.get(name)
    options = options or batch.options
    parsers = [
        (c, getattr(parse, "plain", None), parse, required and c not in optional)
        for c, (parse, required) in columns.items()
    ]
    check = ROW_CHECKS.get(name)
    for line, raw in raw_rows:
        batch.checked += 1
        if batch.on_rows and batch.checked % 5000 == 0:
            batch.on_rows(batch.checked)
        if key and not derived:
            ident = raw.get(key, "").strip()
            if ident in seen:
                first_file, first_line = seen[ident]
                where = f"line {first_line}" if first_file == source else f"{first_file} line {first_line}"
                if lenient:  # exports repeat a record (one row per association): the first one counts
                    batch.audit.mark(source, line, "merged", f"same {col(key)} as an earlier row", where)
                else:
                    errors.append(
                        RowError(source, line, col(key), f"duplicate id {ident!r} (first on {where})")
                    )
                continue
            if ident:
                seen[ident] = (source, line)
        row: dict[str, Any] = {"_line": line, "_file": source, "_derived": derived}
        ok = True
        for c, plain, parse, required in parsers:
            try:
                value = plain(raw.get(c, "")) if plain else parse(raw.get(c, ""), options)
            except ValueError as exc:
                errors.append(RowError(source, line, col(c), str(exc)))
                ok = False
                continue
            if required and value in (None, ""):
                errors.append(RowError(source, line, col(c), "required value is empty"))
                ok = False
            row[c] = value
        if ok and check:
            ok = check(source, row, errors, batch.warnings, batch, col)
        if ok:
            out.append(row)
        elif key and raw.get(key, "").strip():
            rejected.add(raw[key].strip())
    if name in CONTENT_KEYED:
        _content_keys(out, CONTENT_KEYED[name])


Check = Callable[[str, dict[str, Any], list[RowError], list[RowError], Batch, Callable[[str], str]], bool]


def _check_account(source, row, errors, _warnings, _batch, col) -> bool:
    row["status"] = row["status"] or "active"
    if row["is_target"] is None:
        row["is_target"] = row["tier"] is not None
    elif row["is_target"] is False and row["tier"] is not None:
        errors.append(RowError(source, row["_line"], col("tier"), "a tier is set but is_target is false"))
        return False
    return True


def _check_contact(_source, row, _errors, _warnings, batch, _col) -> bool:
    """Most CRMs leave the buying role empty: infer it from the title, and say so."""
    row["role_inferred"] = False
    if row["buying_role"] is None:
        inferred = infer_role(row["title"], batch.roles)
        row["buying_role"] = inferred or "other"
        row["role_inferred"] = inferred is not None
    return True


def _check_opportunity(source, row, errors, warnings, batch, col) -> bool:
    if row["outcome"] in ("won", "lost") and row["close_date"] is None and source in batch.lenient:
        warnings.append(
            RowError(
                source,
                row["_line"],
                col("close_date"),
                f"{row['outcome']} without a close date: imported, counted in no period",
            )
        )
    elif row["outcome"] in ("won", "lost") and row["close_date"] is None:
        errors.append(
            RowError(
                source, row["_line"], col("close_date"), f"required when the outcome is {row['outcome']}"
            )
        )
        return False
    if row["amount"] < 0:
        errors.append(RowError(source, row["_line"], col("amount"), "must not be negative"))
        return False
    if row["close_date"] is not None and row["close_date"] < row["created_at"]:
        warnings.append(
            RowError(source, row["_line"], col("close_date"), "before created_at (imported as it is)")
        )
    return True


def _check_setting(source, row, errors, _warnings, _batch, col) -> bool:
    key, value = row["key"], row["value"]
    if key in TEXT_SETTINGS:
        if key == "as_of":
            try:
                v.iso_date(value)
            except ValueError as exc:
                errors.append(RowError(source, row["_line"], col("value"), str(exc)))
                return False
        return True
    if key not in NUMERIC_SETTINGS:
        known = ", ".join(sorted(NUMERIC_SETTINGS | TEXT_SETTINGS))
        errors.append(RowError(source, row["_line"], col("key"), f"unknown setting {key!r} (known: {known})"))
        return False
    try:
        v.number(value)
    except ValueError as exc:
        errors.append(RowError(source, row["_line"], col("value"), str(exc)))
        return False
    return True


def _check_spend(source, row, errors, _warnings, _batch, col) -> bool:
    if row["period_end"] < row["period_start"]:
        errors.append(RowError(source, row["_line"], col("period_end"), "before period_start"))
        return False
    if row["amount"] < 0:
        errors.append(RowError(source, row["_line"], col("amount"), "must not be negative"))
        return False
    return True


def _check_signal(source, row, errors, _warnings, _batch, col) -> bool:
    if not row["account_id"] and not row["domain"]:
        errors.append(
            RowError(
                source, row["_line"], col("domain"), f"empty, and so is {col('account_id')}: one is needed"
            )
        )
        return False
    return True


ROW_CHECKS: dict[str, Check] = {
    "accounts.csv": _check_account,
    "contacts.csv": _check_contact,
    "opportunities.csv": _check_opportunity,
    "settings.csv": _check_setting,
    "spend.csv": _check_spend,
    "intent_signals.csv": _check_signal,
}


# Files whose rows carry no id: a digest of the row's content keys it, so re-imports are idempotent.
CONTENT_KEYED = {
    "engagements.csv": ("account_id", "contact_id", "occurred_at", "channel", "intent", "description"),
    "spend.csv": ("period_start", "period_end", "team", "program", "amount", "description"),
    "intent_signals.csv": ("account_id", "domain", "date", "topic", "score", "source"),
}


def _content_keys(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """A stable key per row: its content plus how many identical rows came before it."""
    seen: dict[str, int] = {}
    for row in rows:
        content = "\x1f".join(str(row[c] or "") for c in columns)
        digest = hashlib.sha1(content.encode()).hexdigest()[:32]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        row["source_key"] = f"{digest}-{n}"
