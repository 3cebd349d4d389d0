"""The generic CSV format of DESIGN §6: a folder of CSV files with a header row (and the checks all importers share)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import methodcaller
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from abm_tui.domain import INTENTS, OUTCOMES, SOURCES, Params, is_bare_host
from abm_tui.importers import values as v
from abm_tui.importers.audit import Audit
from abm_tui.importers.errors import RowError
from abm_tui.importers.formats import (
    DEFAULT_OPTIONS,
    Columns,
    ReadOptions,
    parse_date,
    parse_datetime,
    parse_number,
    read_columns,
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


class Later(Protocol):
    """Files of a batch read when their kind's turn comes (`reader.read_inputs(lazy=True)`)."""

    def ready(self, kind: str, batch: Batch) -> None: ...
    def finish(self, batch: Batch) -> None: ...
    def close(self) -> None: ...


@dataclass
class Batch:
    """Checked rows of one import by file kind (see `frame`), each with its `_file` and `_line`; or the errors."""

    parts: dict[str, list[pd.DataFrame]] = field(default_factory=dict)  # checked rows by kind, file by file
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
    later: Later | None = None  # files read when their kind is first asked for (see `ready`)

    def rejects(self, error: RowError) -> bool:
        """Whether this problem rejects the run (not a bad row that --skip-bad-rows or a mapping skips)."""
        return error.fatal or error.line <= 1 or not (self.skip_bad_rows or error.file in self.skip_bad_files)

    def column(self, file: str, generic: str) -> str:
        """The column as the user's file names it."""
        return self.names.get(file, {}).get(generic, generic)

    def frame(self, kind: str) -> pd.DataFrame:
        """The checked rows of one file kind, of every file, in the order read: `_file`, `_line`,
        `_derived` and the generic columns (values as Python objects, None where empty); rows without
        an id of their own get their `source_key` here, once every file has been read."""
        self.ready(kind)
        parts = self.parts.get(kind, [])
        if len(parts) != 1 or (kind in CONTENT_KEYED and "source_key" not in parts[0]):
            joined = pd.concat(parts, ignore_index=True) if parts else _records([], kind)
            if kind in CONTENT_KEYED:
                joined["source_key"] = content_keys(joined, CONTENT_KEYED[kind])
            self.parts[kind] = [joined]
        return self.parts[kind][0]

    def count(self, kind: str) -> int:
        self.ready(kind)
        return sum(len(p) for p in self.parts.get(kind, []))

    def ready(self, kind: str) -> None:
        """Read the files of this kind now, if the batch is read lazily and they are not yet
        (`reader.read_inputs(lazy=True)`: the store writes one kind while the next is read)."""
        if self.later is not None:
            self.later.ready(kind, self)

    def finish(self) -> None:
        """Every file read, and the errors and warnings in the order of a batch read at once."""
        if self.later is not None:
            later, self.later = self.later, None
            later.finish(self)

    def close(self) -> None:
        """Leave the files not yet read unread (the import stopped)."""
        if self.later is not None:
            later, self.later = self.later, None
            later.close()

    def absorb(self, other: Batch) -> None:
        """Take in a batch of files read apart (see `reader.read_inputs`), at the point where they
        would have been read here: files of kinds no other file of this import has."""
        for kind, parts in other.parts.items():
            self.parts.setdefault(kind, []).extend(parts)
        for kind, names in other.columns.items():
            self.columns.setdefault(kind, set()).update(names)
        for kind, ids in other.rejected.items():
            self.rejected.setdefault(kind, set()).update(ids)
        for kind, first in other.seen.items():
            self.seen.setdefault(kind, {}).update(first)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.names.update(other.names)
        self.audit.absorb(other.audit)
        self.checked += other.checked
        if self.on_rows and other.checked:
            self.on_rows(self.checked)


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
        cols, file_options = read_columns(path, batch.errors, options)
        batch.audit.rows_read(name, cols.lines)
        add_columns(batch, name, cols, source=name, options=file_options)
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
    out: list[dict[str, Any]] = []
    rejected = batch.rejected.setdefault(name, set())
    optional = {"account_id"} if lenient and name in ("contacts.csv", "opportunities.csv") else set()
    missing = [
        c for c, (_, required) in columns.items() if required and c not in header and c not in optional
    ]
    if header and missing:
        _lacks_columns(batch, errors, source, [col(c) for c in missing], [line for line, _ in raw_rows])
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
    if out:
        batch.parts.setdefault(name, []).append(_records(out, name))


def _lacks_columns(batch: Batch, errors: list[RowError], source: str, missing: list[str], lines: Any) -> None:
    """A file without required columns (named as in the file): an error for each, and every row
    of the file marked with the first."""
    for c in missing:
        errors.append(RowError(source, 1, c, "required column is missing", fatal=True))
    reason = "the file lacks a required column"
    batch.audit.mark_many(source, np.asarray(lines, dtype=np.int64), "error", reason, missing[0])


def add_columns(
    batch: Batch, name: str, cols: Columns, *, source: str, options: ReadOptions | None = None
) -> None:
    """`add_rows` for a file of the generic format, a column at a time: each distinct cell is parsed
    once (each cell, in a column of mostly distinct ones), by the same parser, and the rows that fail
    get the same errors, in the same order, as row by row (tested equal to `add_rows`)."""
    columns = SCHEMA[name]
    batch.names[source] = {c: c for c in columns}
    batch.columns.setdefault(name, set()).update(cols.header)
    missing = [c for c, (_, required) in columns.items() if required and c not in cols.header]
    if cols.header and missing:
        _lacks_columns(batch, batch.errors, source, missing, cols.lines)
        return
    n, lines = len(cols), cols.lines
    batch.checked += n
    if batch.on_rows and n:
        batch.on_rows(batch.checked)
    blank = np.full(n, "", dtype=object)
    raw = {c: cols.cells.get(c, blank) for c in columns}
    problems: list[tuple[Any, int, RowError]] = []  # (row, order within the row, error)
    live = np.ones(n, dtype=bool)  # not a repeated id (a repeat is reported as that and nothing else)
    key = KEYS.get(name)
    ids = None
    if key:
        ids = _parsed(raw[key], str.strip)[0]
        live = _first_ids(batch, name, source, ids, lines, problems)
    values: dict[str, np.ndarray] = {}
    ok = live.copy()
    read = options or batch.options
    for order, (c, (parse, required)) in enumerate(columns.items()):
        plain = getattr(parse, "plain", None)
        parsed, reasons = _parsed(raw[c], plain or partial(_with_options, parse, read))
        values[c] = parsed
        failed = live & ~pd.isna(reasons) if reasons is not None else None
        if required:
            empty = live & (pd.isna(parsed) | (parsed == ""))
            empty = empty & ~failed if failed is not None else empty
            for i in np.flatnonzero(empty):
                problems.append((i, order, RowError(source, int(lines[i]), c, "required value is empty")))
            ok &= ~empty
        if failed is not None and reasons is not None:
            for i in np.flatnonzero(failed):
                problems.append((i, order, RowError(source, int(lines[i]), c, reasons[i])))
            ok &= ~failed
    check = COLUMN_CHECKS.get(name)
    warned: list[tuple[int, int, RowError]] = []
    if check:
        check(source, lines, values, ok, problems, warned, batch)
    problems.sort(key=lambda p: (p[0], p[1]))
    batch.errors.extend(e for _, _, e in problems)
    warned.sort(key=lambda p: (p[0], p[1]))
    batch.warnings.extend(w for _, _, w in warned)
    if ids is not None:
        rejected = batch.rejected.setdefault(name, set())
        rejected.update(i for i in ids[live & ~ok] if i)
    keep = np.flatnonzero(ok)
    if not len(keep):
        return
    part: dict[str, Any] = {
        "_line": lines[keep],
        "_file": pd.Series(np.full(len(keep), source, dtype=object), dtype=object),
        "_derived": np.zeros(len(keep), dtype=bool),
    }
    part.update({c: pd.Series(v[keep], dtype=object) for c, v in values.items()})
    batch.parts.setdefault(name, []).append(pd.DataFrame(part))


def _with_options(parse: Parser, options: ReadOptions, cell: str) -> Any:
    return parse(cell, options)


def _parsed(cells: np.ndarray, parse: Callable[[str], Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """Each cell parsed (None where it failed) and the reason it failed (None where it did not; no
    array when no cell failed), parsing each distinct cell once (or each cell, in a column of mostly
    distinct ones: ids, names)."""
    if len(cells) > 2000 and len(set(cells[:1000].tolist())) > 500:
        try:
            parsed = np.empty(len(cells), dtype=object)
            if parse is v.text:  # (its common case inline: a sixth of the checks' time)
                parsed[:] = [t if (t := c.strip()) and t[0] != "'" else v.text(c) for c in cells.tolist()]
            elif parse is v.domain:  # a bare host is itself
                parsed[:] = [c if is_bare_host(c) else v.domain(c) for c in cells.tolist()]
            else:
                parsed[:] = [parse(cell) for cell in cells.tolist()]
            return parsed, None
        except ValueError:
            pass  # some cell is bad: the reasons, per distinct cell
    codes, uniques = distinct(cells)
    values = np.empty(len(uniques), dtype=object)
    reasons = np.full(len(uniques), None, dtype=object)
    bad = False
    for k, cell in enumerate(uniques):
        try:
            values[k] = parse(cell)
        except ValueError as exc:
            reasons[k], bad = str(exc), True
    return values.take(codes), reasons.take(codes) if bad else None


def _first_ids(
    batch: Batch, name: str, source: str, ids: np.ndarray, lines: np.ndarray, problems: list
) -> np.ndarray:
    """Rows whose id no earlier row of the import has (an empty id is never a repeat); the others
    are reported as repeats of the first."""
    key = KEYS[name]
    seen = batch.seen.setdefault(name, {})
    series = pd.Series(ids, dtype=object)
    filled = series.to_numpy() != ""
    repeat = (series.duplicated().to_numpy() | series.isin(seen.keys()).to_numpy()) & filled
    fresh = np.flatnonzero(~repeat & filled)
    seen.update(zip(ids[fresh], zip([source] * len(fresh), lines[fresh].tolist(), strict=True), strict=True))
    for i in np.flatnonzero(repeat):
        first_file, first_line = seen[ids[i]]
        where = f"line {first_line}" if first_file == source else f"{first_file} line {first_line}"
        error = RowError(source, int(lines[i]), key, f"duplicate id {ids[i]!r} (first on {where})")
        problems.append((i, -1, error))
    return ~repeat


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


def _is(values: np.ndarray, what: Any) -> np.ndarray:
    return np.fromiter((v is what for v in values), dtype=bool, count=len(values))


def _columns_account(source, lines, values, ok, problems, _warned, _batch) -> None:
    status = values["status"]
    values["status"] = np.where(_is(status, None), "active", status).astype(object)
    tier_set = ~_is(values["tier"], None)
    target = values["is_target"]
    values["is_target"] = np.where(_is(target, None), tier_set.astype(object), target)
    for i in np.flatnonzero(ok & _is(target, False) & tier_set):
        problems.append(
            (i, 99, RowError(source, int(lines[i]), "tier", "a tier is set but is_target is false"))
        )
        ok[i] = False


def _columns_contact(_source, _lines, values, _ok, _problems, _warned, batch) -> None:
    roles, titles = values["buying_role"], values["title"]
    unknown = _is(roles, None)
    inferred: Any = (
        _parsed(titles[unknown], lambda title: infer_role(title, batch.roles))[0] if unknown.any() else []
    )
    roles = roles.copy()
    roles[unknown] = [r or "other" for r in inferred]
    values["buying_role"] = roles
    flags = np.zeros(len(roles), dtype=bool)
    flags[unknown] = [r is not None for r in inferred]
    values["role_inferred"] = flags.astype(object)


def _columns_opportunity(source, lines, values, ok, problems, warned, _batch) -> None:
    outcome, close, created, amount = (values[c] for c in ("outcome", "close_date", "created_at", "amount"))
    for i in np.flatnonzero(ok):
        if outcome[i] in ("won", "lost") and close[i] is None:
            problems.append(
                (
                    i,
                    99,
                    RowError(
                        source, int(lines[i]), "close_date", f"required when the outcome is {outcome[i]}"
                    ),
                )
            )
            ok[i] = False
        elif amount[i] < 0:
            problems.append((i, 99, RowError(source, int(lines[i]), "amount", "must not be negative")))
            ok[i] = False
        elif close[i] is not None and close[i] < created[i]:
            warned.append(
                (
                    i,
                    99,
                    RowError(source, int(lines[i]), "close_date", "before created_at (imported as it is)"),
                )
            )


def _columns_signal(source, lines, values, ok, problems, _warned, _batch) -> None:
    for i in np.flatnonzero(ok & _is(values["account_id"], None) & _is(values["domain"], None)):
        problems.append(
            (i, 99, RowError(source, int(lines[i]), "domain", "empty, and so is account_id: one is needed"))
        )
        ok[i] = False


def _columns_by_rows(kind: str) -> Callable[..., None]:
    """The row check itself, row by row (for the small files: settings, spend)."""

    def check(source, lines, values, ok, problems, warned, batch) -> None:
        errors: list[RowError] = []
        warnings: list[RowError] = []
        for i in np.flatnonzero(ok):
            row = {c: v[i] for c, v in values.items()} | {"_line": int(lines[i])}
            before_e, before_w = len(errors), len(warnings)
            ok[i] = ROW_CHECKS[kind](source, row, errors, warnings, batch, lambda c: c)
            problems.extend((i, 99, e) for e in errors[before_e:])
            warned.extend((i, 99, w) for w in warnings[before_w:])
            for c in values:
                values[c][i] = row[c]

    return check


COLUMN_CHECKS: dict[str, Callable[..., None]] = {
    "accounts.csv": _columns_account,
    "contacts.csv": _columns_contact,
    "opportunities.csv": _columns_opportunity,
    "settings.csv": _columns_by_rows("settings.csv"),
    "spend.csv": _columns_by_rows("spend.csv"),
    "intent_signals.csv": _columns_signal,
}


# Files whose rows carry no id: a digest of the row's content keys it, so re-imports are idempotent.
CONTENT_KEYED = {
    "engagements.csv": ("account_id", "contact_id", "occurred_at", "channel", "intent", "description"),
    "spend.csv": ("period_start", "period_end", "team", "program", "amount", "description"),
    "intent_signals.csv": ("account_id", "domain", "date", "topic", "score", "source"),
}


def content_keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """A stable key per row: a digest of its content plus how many identical rows came before it."""
    if not len(frame):
        return np.empty(0, dtype=object)
    texts = [_as_text(frame[c].to_numpy()) for c in columns]
    # One C call after another over the rows (the same as a loop of `sha1(join(…))`, a third faster)
    joined = map(str.encode, map("\x1f".join, zip(*texts, strict=True)))
    digests = map(methodcaller("hexdigest"), map(hashlib.sha1, joined))
    keys = np.array([d[:32] + "-0" for d in digests], dtype=object)
    if len(set(keys.tolist())) < len(keys):  # identical rows: the first is -0, the next -1, …
        again = pd.Series(keys).duplicated(keep=False).to_numpy()
        repeat = pd.Series(keys[again]).groupby(keys[again], sort=False).cumcount().tolist()
        keys[again] = [f"{k[:-2]}-{n}" for k, n in zip(keys[again].tolist(), repeat, strict=True)]
    return keys


def _as_text(values: np.ndarray) -> np.ndarray | list[str]:
    """`str(value or "")` of each value, made once per distinct value (text as it is)."""
    plain = values.tolist()
    if all(type(v) is str or v is None for v in plain[:1000]):
        return [v if type(v) is str else str(v or "") for v in plain]
    codes, uniques = distinct(values)
    return np.array([str(u or "") for u in uniques], dtype=object).take(codes)


def distinct(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's position among the distinct values, and those (pandas' factorize, with None
    kept None: it makes it NaN)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, [None if isinstance(u, float) and u != u else u for u in uniques]


META = ("_line", "_file", "_derived")
EXTRA = {"contacts.csv": ("role_inferred",)}


def _records(rows: list[dict[str, Any]], kind: str) -> pd.DataFrame:
    """Rows as a frame of Python objects (None stays None: no NaN, no numpy scalars)."""
    columns: dict[str, Any] = {
        "_line": np.fromiter((r["_line"] for r in rows), dtype=np.int64, count=len(rows)),
        "_file": _objects([r["_file"] for r in rows]),
        "_derived": np.fromiter((r["_derived"] for r in rows), dtype=bool, count=len(rows)),
    }
    for n in (*SCHEMA[kind], *EXTRA.get(kind, ())):
        columns[n] = _objects([r[n] for r in rows])
    return pd.DataFrame(columns)


def _objects(values: Any) -> pd.Series:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.Series(array, dtype=object)
