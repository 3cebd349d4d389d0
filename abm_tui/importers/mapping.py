"""The mapping engine: how a CRM file's columns and values become rows of the generic format.

Each known file shape is a `FileMapping`: which columns (or which file name / record ids) identify
it, which of its columns feeds which generic column, and how its values (roles, sources, tiers)
map onto ours. The sources live beside this module (`hubspot.py`, `salesforce.py`); a user's
TOML mapping (`--map`) adds shapes and stage outcomes. Rows come out as generic rows and are
checked by the generic format's code, so every problem names the user's own file and column.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.importers.errors import RowError

if TYPE_CHECKING:
    from abm_tui.importers.generic import Batch

# Kinds in the order they are applied: accounts before what refers to them.
KIND_ORDER = (
    "accounts.csv",
    "contact_roles",
    "contacts.csv",
    "opportunities.csv",
    "stage_changes.csv",
    "engagements.csv",
    "settings.csv",
    "spend.csv",
    "intent_signals.csv",
)
# With several roles on one contact, the most decisive one is kept.
ROLE_PRIORITY = (
    "decision_maker",
    "budget_holder",
    "champion",
    "technical",
    "influencer",
    "procurement",
    "legal",
    "other",
)
REFERENCES = {"account_id", "contact_id", "opportunity_id"}
KEY_OF = {"accounts.csv": "account_id", "contacts.csv": "contact_id", "opportunities.csv": "opportunity_id"}
OUTCOME_WORDS = ("open", "won", "lost")


@dataclass
class Context:
    """What the transform of one import learns along the way, beyond rows."""

    outcomes: dict[str, str] = field(default_factory=dict)  # stage label (lower) → outcome, from --map
    unknown_stages: Counter = field(default_factory=Counter)  # (file, label) → rows imported as open
    derived: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (kind, row) made by a derive
    cache: dict = field(default_factory=dict)  # per-file facts a derive works out once


Derive = Callable[[dict[str, str], dict[str, str], Context, str], None]


@dataclass(frozen=True)
class FileMapping:
    """How one shape of CRM file maps onto one generic file."""

    name: str
    kind: str  # a generic file name ("accounts.csv", …) or "contact_roles"
    detect: frozenset[str]  # columns that identify the shape on their own
    # generic column → the file's column, or alternatives in order of preference
    columns: dict[str, str | tuple[str, ...]]
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # generic column → {value (lower): ours}
    constants: dict[str, str] = field(default_factory=dict)  # generic column → fixed value
    id_prefix: str = ""  # prefixed to every id and reference, so systems never collide
    external: str | None = None  # also keep the raw id here (hubspot_id, salesforce_id)
    multi: dict[str, str] = field(default_factory=dict)  # generic column → separator of several values
    skip_if: dict[str, str] = field(
        default_factory=dict
    )  # the file's column → value (lower) that drops the row
    skip_reason: str = "marked deleted in the CRM"
    by_name: frozenset[str] = frozenset()  # generic reference columns that hold a company *name*
    skip_bad_rows: bool = False  # report bad rows and import the rest (for messy public data)
    derive: Derive | None = None
    # Recognised by file name or record ids, needing only `needs` (a subset export of one object).
    file_names: tuple[str, ...] = ()  # lower-case stems the file name starts with ("account")
    id_prefixes: tuple[str, ...] = ()  # what the values of the key column start with ("001")
    id_column: str = ""
    needs: frozenset[str] = frozenset()
    what: str = ""  # how a user recognises the file ("Salesforce Account (Id, Name)")

    def source_columns(self, header: list[str]) -> dict[str, str]:
        """Generic column → the column of this file that feeds it (the first alternative present)."""
        present = set(header)
        out = {}
        for col, theirs in self.columns.items():
            options = (theirs,) if isinstance(theirs, str) else theirs
            out[col] = next((o for o in options if o in present), options[0])
        return out


def plain_id(ref: str) -> str:
    """An id as the user's file wrote it, without the source prefix a mapping adds (`hubspot:`, …)."""
    return ref.split(":", 1)[1] if ref.startswith(("hubspot:", "salesforce:", "name:")) else ref


# --- recognising a file --------------------------------------------------------------------------------


def _hinted(
    m: FileMapping, file_name: str, rows: list[tuple[int, dict[str, str]]], all_names: tuple[str, ...]
) -> bool:
    stem = Path(file_name).stem.lower()
    if m.file_names and any(stem.startswith(n) for n in m.file_names):
        # Opportunity*.csv is not OpportunityHistory.csv: the longest known name that fits decides.
        longest = max((n for n in m.file_names if stem.startswith(n)), key=len)
        return not any(stem.startswith(other) and len(other) > len(longest) for other in all_names)
    if m.id_prefixes and m.id_column:
        ids = [r[m.id_column].strip() for _, r in rows[:50] if r.get(m.id_column, "").strip()]
        return bool(ids) and sum(i.startswith(m.id_prefixes) for i in ids) * 2 > len(ids)
    return False


def detect(
    header: list[str],
    mappings: tuple[FileMapping, ...],
    *,
    file_name: str = "",
    rows: list[tuple[int, dict[str, str]]] | None = None,
) -> tuple[FileMapping | None, list[tuple[FileMapping, list[str]]]]:
    """The mapping that fits, and the near misses (named by file name or ids but lacking columns).

    Mappings earlier in `mappings` win ties (a user's mapping comes before the built-in ones);
    among column matches the most specific one wins.
    """
    present = set(header)
    all_names = tuple(n for m in mappings for n in m.file_names)
    best: tuple[int, int, FileMapping] | None = None
    near: list[tuple[FileMapping, list[str]]] = []
    for order, m in enumerate(mappings):
        score = 0
        if m.detect and m.detect <= present:
            score = len(m.detect)
        elif m.needs and _hinted(m, file_name, rows or [], all_names):
            missing = sorted(m.needs - present)
            if missing:
                near.append((m, missing))
                continue
            score = len(m.needs)
        if score and (best is None or (score, -order) > (best[0], best[1])):
            best = (score, -order, m)
    return (best[2] if best else None), ([] if best else near)


# --- outcomes from stage labels --------------------------------------------------------------------------

WON_WORDS = {"won", "closedwon", "gewonnen", "gagne", "gagné", "vinto", "ganado"}
LOST_WORDS = {"lost", "closedlost", "verloren", "perdu", "perso", "perdido"}
# Open stages every CRM ships with, so their labels are known without a mapping.
OPEN_LABELS = {
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "prospecting",
    "qualification",
    "needsanalysis",
    "valueproposition",
    "iddecisionmakers",
    "perceptionanalysis",
    "proposalpricequote",
    "negotiationreview",
    "lead",
    "new",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "open",
    "engaging",
    "qualified",
    "closing",
}


def _squash(label: str) -> str:
    return re.sub(r"[^a-z]", "", label.lower())


def outcome_from_label(label: str, ctx: Context | None = None) -> str | None:
    """won / lost / open from a stage label ("Closed: won", "closedlost", "Verloren"); None if unknown."""
    key = label.strip().lower()
    if ctx and key in ctx.outcomes:
        return ctx.outcomes[key]
    words = set(re.findall(r"[^\W\d_]+", key)) | {_squash(label)}
    won, lost = bool(words & WON_WORDS), bool(words & LOST_WORDS)
    if won != lost:
        return "won" if won else "lost"
    return "open" if _squash(label) in OPEN_LABELS else None


def outcome_or_open(label: str, ctx: Context, file: str) -> str:
    """The outcome a label says; an unknown label is an open stage, and is counted so it can be mapped."""
    outcome = outcome_from_label(label, ctx)
    if outcome is None:
        ctx.unknown_stages[(file, label.strip())] += 1
        return "open"
    return outcome


def flag(raw: str | None) -> bool | None:
    """A CRM's true/false cell; None when empty or absent."""
    value = (raw or "").strip().lower()
    if value in ("true", "1", "yes", "y", "ja", "wahr", "waar"):
        return True
    if value in ("false", "0", "no", "n", "nee", "nein", "falsch", "onwaar"):
        return False
    return None


def write_map(unknown: Counter, path: Path) -> None:
    """A ready-to-edit mapping for exactly the stage labels no flag or known word explained."""
    lines = [
        "# Stage outcomes for labels abm-tui did not recognise. Set each to open, won or lost,",
        "# then import again with:  abm-tui import --map " + path.name + " FILES…",
        "",
        "[outcomes]",
    ]
    by_label: dict[str, list[str]] = {}
    for (file, label), n in sorted(unknown.items()):
        by_label.setdefault(label, []).append(f"{n} row(s) in {file}")
    for label, where in by_label.items():
        escaped = label.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'"{escaped}" = "open"  # {", ".join(where)}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- a user's mapping file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserMapping:
    """A `--map` file: file shapes (`[[file]]`) and stage outcomes (`[outcomes]`)."""

    files: tuple[FileMapping, ...] = ()
    outcomes: dict[str, str] = field(default_factory=dict)


def _lower(d: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower(): v for k, v in d.items()}


def load_mapping(path: Path, schema: dict[str, dict]) -> UserMapping:
    """Read a mapping (see fixtures/mappings/*.toml); a problem is one ValueError sentence."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable mapping ({exc})") from None
    out = []
    for i, f in enumerate(data.get("file", []), start=1):
        kind = f.get("kind", "")
        if kind not in (*schema, "contact_roles"):
            raise ValueError(f"{path}: file {i}: kind {kind!r} is not one of {', '.join(schema)}")
        unknown = set(f.get("columns", {})) - set(schema.get(kind, {"contact_id": 0, "buying_role": 0}))
        if unknown:
            raise ValueError(f"{path}: file {i}: unknown generic column(s) {', '.join(sorted(unknown))}")
        out.append(
            FileMapping(
                name=f.get("name", f"{path.name} #{i}"),
                kind=kind,
                detect=frozenset(f.get("detect", f.get("columns", {}).values())),
                columns=dict(f.get("columns", {})),
                values={k: _lower(v) for k, v in f.get("values", {}).items()},
                constants={k: str(v) for k, v in f.get("constants", {}).items()},
                id_prefix=f.get("id_prefix", ""),
                multi=dict(f.get("multi", {})),
                skip_if=_lower(f.get("skip_if", {})),
                by_name=frozenset(f.get("by_name", [])),
                skip_bad_rows=bool(f.get("skip_bad_rows", False)),
            )
        )
    outcomes = {}
    for label, outcome in data.get("outcomes", {}).items():
        if str(outcome).strip().lower() not in OUTCOME_WORDS:
            raise ValueError(f"{path}: outcomes: {label!r} = {outcome!r} is not open, won or lost")
        outcomes[label.strip().lower()] = str(outcome).strip().lower()
    if not out and not outcomes:
        raise ValueError(f"{path}: no [[file]] tables and no [outcomes]")
    return UserMapping(tuple(out), outcomes)


# --- rows of a mapped file → generic rows --------------------------------------------------------------------


def _map_value(m: FileMapping, col: str, raw: str) -> str:
    table = m.values.get(col)
    if table is None:
        return raw
    parts = [p.strip() for p in raw.split(m.multi[col])] if col in m.multi else [raw.strip()]
    mapped = []
    for part in parts:
        key = part.lower()
        if key in table:
            mapped.append(table[key])
        elif "*" in table:
            mapped.append(part if table["*"] == "=" else table["*"])
        else:
            raise ValueError(
                f"cannot map {part!r} (known: {', '.join(sorted(k for k in table if k not in ('*', '')))})"
            )
    if col == "buying_role" and len(mapped) > 1:  # several roles: keep the most decisive
        mapped.sort(key=lambda r: ROLE_PRIORITY.index(r) if r in ROLE_PRIORITY else len(ROLE_PRIORITY))
    return mapped[0] if mapped else ""


def transform(
    m: FileMapping,
    source: str,
    header: list[str],
    raw_rows: list[tuple[int, dict[str, str]]],
    batch: Batch,
    ctx: Context,
) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[str, int, dict[str, str]]]]:
    """Rows of a CRM file as generic rows (strings) with their line numbers, and the rows derived
    from them (kind, line, row): stage history, companies named by deals.

    Rows the CRM marks deleted are skipped (in the audit); a value no table maps is a bad row.
    """
    out = []
    derived: list[tuple[str, int, dict[str, str]]] = []
    theirs = m.source_columns(header)
    present = set(header)
    if m.kind == "opportunities.csv" and theirs.get("amount") not in present:
        batch.notes.append(
            f"{source} has no {theirs.get('amount', 'amount')} column: its deals count with amount 0"
        )
    for line, src in raw_rows:
        if any(src.get(c, "").strip().lower() == v for c, v in m.skip_if.items()):
            batch.audit.mark(source, line, "skipped", m.skip_reason)
            continue
        row: dict[str, str] = dict(m.constants)
        problem = False
        for col, column in theirs.items():
            if column not in present:
                continue
            value = src.get(column, "").strip()
            if col in m.multi and col not in m.values:
                value = value.split(m.multi[col])[0].strip()
            try:
                value = _map_value(m, col, value)
            except ValueError as exc:
                batch.errors.append(RowError(source, line, column, str(exc)))
                problem = True
                continue
            if col in REFERENCES and value:
                value = f"name:{value.lower()}" if col in m.by_name else m.id_prefix + value
            row[col] = value
        if problem:
            continue
        key_column = theirs.get(KEY_OF.get(m.kind, ""))
        if m.external and key_column:
            row[m.external] = src.get(key_column, "").strip()
        if m.derive:
            m.derive(src, row, ctx, source)
            derived.extend((kind, line, r) for kind, r in ctx.derived)
            ctx.derived.clear()
        if m.kind == "opportunities.csv":
            if not row.get("outcome") and row.get("stage"):
                row["outcome"] = outcome_or_open(row["stage"], ctx, source)
            if not row.get("amount"):
                if theirs["amount"] in present:
                    batch.warnings.append(
                        RowError(source, line, theirs["amount"], "no amount: imported as 0")
                    )
                row["amount"] = "0"
            if not row.get("opportunity_id") and row.get("name"):
                row["opportunity_id"] = f"{m.id_prefix}{row.get('account_id', '')}/{row['name']}"
        if m.kind == "accounts.csv" and not row.get("account_id") and row.get("name"):
            row["account_id"] = f"{m.id_prefix}name:{row['name'].lower()}"
        out.append((line, row))
    return out, derived
