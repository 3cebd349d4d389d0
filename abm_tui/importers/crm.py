"""CRM exports (HubSpot, Salesforce) and user column mappings, turned into the generic format.

Each known file shape is a `FileMapping`: which header columns identify it, which of its columns
feeds which generic column, and how its values (stages, roles, outcomes, tiers) map onto ours.
Rows are rewritten into generic rows and then checked by the same code as the generic format, so
every importer reports problems the same way, in the user's own file and column names.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from abm_tui.importers.errors import RowError
from abm_tui.importers.formats import DEFAULT_OPTIONS, ReadOptions, read_table
from abm_tui.importers.generic import SCHEMA, Batch, add_rows, read_folder
from abm_tui.importers.roles import Rules
from abm_tui.importers.values import BUYING_ROLE_SYNONYMS

# Kinds in the order they are applied: accounts before what refers to them.
KIND_ORDER = ("accounts.csv", "contact_roles", "contacts.csv", "opportunities.csv", "stage_changes.csv",
              "engagements.csv", "settings.csv")  # fmt: skip
ROLE_PRIORITY = ("decision_maker", "budget_holder", "champion", "technical", "influencer", "procurement", "legal",
                 "other")  # fmt: skip


@dataclass(frozen=True)
class FileMapping:
    """How one shape of CRM file maps onto one generic file."""

    name: str
    kind: str  # a generic file name ("accounts.csv", …) or "contact_roles"
    detect: frozenset[str]  # header columns that must all be present
    columns: dict[str, str]  # generic column → the file's column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # generic column → {value (lower): ours}
    constants: dict[str, str] = field(default_factory=dict)  # generic column → fixed value
    id_prefix: str = ""  # prefixed to every id and reference, so systems never collide
    external: str | None = None  # also keep the raw id here (hubspot_id, salesforce_id)
    multi: dict[str, str] = field(default_factory=dict)  # generic column → separator of several values
    skip_if: dict[str, str] = field(
        default_factory=dict
    )  # the file's column → value (lower) that drops the row
    by_name: frozenset[str] = frozenset()  # generic reference columns that hold a company *name*
    skip_bad_rows: bool = False  # report bad rows and import the rest (for messy public data)
    derive: Callable[[dict[str, str], dict[str, str]], None] | None = None


def _lower(d: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower(): v for k, v in d.items()}


HUBSPOT_STAGES = {
    "appointmentscheduled": "appointment scheduled", "appointment scheduled": "appointment scheduled",
    "qualifiedtobuy": "qualified to buy", "qualified to buy": "qualified to buy",
    "presentationscheduled": "presentation scheduled", "presentation scheduled": "presentation scheduled",
    "decisionmakerboughtin": "decision maker bought-in", "decision maker bought-in": "decision maker bought-in",
    "contractsent": "contract sent", "contract sent": "contract sent",
    "closedwon": "closed won", "closed won": "closed won",
    "closedlost": "closed lost", "closed lost": "closed lost",
}  # fmt: skip
HUBSPOT_OUTCOMES = {
    "closedwon": "won",
    "closed won": "won",
    "closedlost": "lost",
    "closed lost": "lost",
    "*": "open",
}
MARKETING_SOURCES = ("organic search", "paid search", "email marketing", "social media", "organic social",
                     "paid social", "referrals", "direct traffic", "other campaigns", "ai referrals",
                     "web", "advertisement", "seminar - internal", "seminar - partner", "trade show",
                     "purchased list", "webinar")  # fmt: skip
SOURCE_VALUES = {
    **{s: "marketing" for s in MARKETING_SOURCES},
    "offline sources": "sales", "phone inquiry": "sales", "employee referral": "sales", "external referral": "sales",
    "partner": "partner", "partner referral": "partner", "*": "",
}  # fmt: skip
HUBSPOT_ROLES = {**BUYING_ROLE_SYNONYMS, "": ""}
SALESFORCE_STAGES = {
    s.lower(): s.lower()
    for s in ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
              "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")
}  # fmt: skip
SALESFORCE_CONTACT_ROLES = {
    "decision maker": "decision_maker", "executive sponsor": "decision_maker",
    "economic buyer": "budget_holder", "economic decision maker": "budget_holder",
    "technical buyer": "technical", "business user": "champion", "evaluator": "influencer",
    "influencer": "influencer", "other": "other",
}  # fmt: skip


def _sf_outcome(src: dict[str, str], out: dict[str, str]) -> None:
    """Salesforce: IsClosed/IsWon say the outcome when present; else the stage name."""
    closed, won = src.get("IsClosed", "").strip().lower(), src.get("IsWon", "").strip().lower()
    stage = out.get("stage", "")
    if closed in ("true", "1"):
        out["outcome"] = "won" if won in ("true", "1") else "lost"
    elif closed in ("false", "0"):
        out["outcome"] = "open"
    else:
        out["outcome"] = "won" if stage == "closed won" else "lost" if stage == "closed lost" else "open"


def _name(src: dict[str, str], out: dict[str, str], first: str, last: str) -> None:
    out["name"] = " ".join(p for p in (src.get(first, "").strip(), src.get(last, "").strip()) if p)


BUILT_IN: tuple[FileMapping, ...] = (
    FileMapping(
        "HubSpot companies", "accounts.csv", frozenset({"Record ID", "Company name"}),
        {"account_id": "Record ID", "name": "Company name", "domain": "Company Domain Name", "industry": "Industry",
         "employees": "Number of Employees", "annual_revenue": "Annual Revenue", "region": "Country/Region",
         "owner_sales": "Company owner", "is_target": "Target Account", "tier": "Ideal Customer Profile Tier"},
        id_prefix="hubspot:", external="hubspot_id",
    ),
    FileMapping(
        "HubSpot contacts", "contacts.csv", frozenset({"Record ID", "First Name", "Last Name"}),
        {"contact_id": "Record ID", "account_id": "Associated Company IDs", "title": "Job Title", "email": "Email",
         "buying_role": "Buying Role"},
        values={"buying_role": HUBSPOT_ROLES}, id_prefix="hubspot:", external="hubspot_id",
        multi={"account_id": ";", "buying_role": ";"},
        derive=lambda s, o: _name(s, o, "First Name", "Last Name"),
    ),
    FileMapping(
        "HubSpot deals", "opportunities.csv", frozenset({"Record ID", "Deal Name", "Deal Stage"}),
        {"opportunity_id": "Record ID", "account_id": "Associated Company IDs", "name": "Deal Name",
         "stage": "Deal Stage", "outcome": "Deal Stage", "amount": "Amount", "created_at": "Create Date",
         "close_date": "Close Date", "source": "Original Source", "currency": "Currency"},
        values={"stage": HUBSPOT_STAGES, "outcome": HUBSPOT_OUTCOMES, "source": SOURCE_VALUES},
        id_prefix="hubspot:", external="hubspot_id", multi={"account_id": ";"},
    ),
    FileMapping(
        "Salesforce Account", "accounts.csv", frozenset({"Id", "Name", "BillingCountry"}),
        {"account_id": "Id", "name": "Name", "domain": "Website", "industry": "Industry",
         "employees": "NumberOfEmployees", "annual_revenue": "AnnualRevenue", "region": "BillingCountry",
         "owner_sales": "OwnerId"},
        id_prefix="salesforce:", external="salesforce_id", skip_if={"IsDeleted": "true"},
    ),
    FileMapping(
        "Salesforce Contact", "contacts.csv", frozenset({"Id", "AccountId", "LastName"}),
        {"contact_id": "Id", "account_id": "AccountId", "title": "Title", "email": "Email"},
        id_prefix="salesforce:", external="salesforce_id", skip_if={"IsDeleted": "true"},
        derive=lambda s, o: _name(s, o, "FirstName", "LastName"),
    ),
    FileMapping(
        "Salesforce Opportunity", "opportunities.csv", frozenset({"Id", "AccountId", "StageName"}),
        {"opportunity_id": "Id", "account_id": "AccountId", "name": "Name", "stage": "StageName",
         "amount": "Amount", "close_date": "CloseDate", "created_at": "CreatedDate", "source": "LeadSource",
         "currency": "CurrencyIsoCode"},
        values={"stage": {**SALESFORCE_STAGES, "*": "="}, "source": SOURCE_VALUES},
        id_prefix="salesforce:", external="salesforce_id", skip_if={"IsDeleted": "true"}, derive=_sf_outcome,
    ),
    FileMapping(
        "Salesforce OpportunityHistory", "stage_changes.csv", frozenset({"OpportunityId", "StageName", "CreatedDate"}),
        {"opportunity_id": "OpportunityId", "stage": "StageName", "entered_at": "CreatedDate"},
        values={"stage": {**SALESFORCE_STAGES, "*": "="}}, id_prefix="salesforce:", skip_if={"IsDeleted": "true"},
    ),
    FileMapping(
        "Salesforce OpportunityContactRole", "contact_roles", frozenset({"ContactId", "OpportunityId", "Role"}),
        {"contact_id": "ContactId", "buying_role": "Role"},
        values={"buying_role": {**SALESFORCE_CONTACT_ROLES, "": ""}}, id_prefix="salesforce:",
        skip_if={"IsDeleted": "true"},
    ),
    FileMapping(
        "Salesforce opportunity report", "opportunities.csv", frozenset({"Opportunity Name", "Account Name", "Stage"}),
        {"opportunity_id": "Opportunity ID", "account_id": "Account Name", "name": "Opportunity Name",
         "stage": "Stage", "amount": "Amount", "close_date": "Close Date", "created_at": "Created Date",
         "source": "Lead Source"},
        values={"stage": {**SALESFORCE_STAGES, "*": "="}, "source": SOURCE_VALUES},
        id_prefix="salesforce:", by_name=frozenset({"account_id"}), derive=_sf_outcome,
    ),
    FileMapping(
        "Salesforce account report", "accounts.csv", frozenset({"Account Name", "Billing Country"}),
        {"account_id": "Account ID", "name": "Account Name", "domain": "Website", "industry": "Industry",
         "employees": "Employees", "annual_revenue": "Annual Revenue", "region": "Billing Country",
         "owner_sales": "Account Owner"},
        id_prefix="salesforce:",
    ),
)  # fmt: skip


def detect(header: list[str], mappings: tuple[FileMapping, ...] = BUILT_IN) -> FileMapping | None:
    """The most specific mapping whose identifying columns are all in the header."""
    present = set(header)
    fits = [m for m in mappings if m.detect <= present]
    return max(fits, key=lambda m: len(m.detect)) if fits else None


def load_mapping(path: Path) -> tuple[FileMapping, ...]:
    """A user mapping: one `[[file]]` table per file shape (see fixtures/mappings/*.toml)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not a readable mapping ({exc})") from None
    out = []
    for i, f in enumerate(data.get("file", []), start=1):
        kind = f.get("kind", "")
        if kind not in (*SCHEMA, "contact_roles"):
            raise ValueError(f"{path}: file {i}: kind {kind!r} is not one of {', '.join(SCHEMA)}")
        unknown = set(f.get("columns", {})) - set(SCHEMA.get(kind, {"contact_id": 0, "buying_role": 0}))
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
    if not out:
        raise ValueError(f"{path}: no [[file]] tables")
    return tuple(out)


REFERENCES = {"account_id", "contact_id", "opportunity_id"}
KEY_OF = {"accounts.csv": "account_id", "contacts.csv": "contact_id", "opportunities.csv": "opportunity_id"}


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
    m: FileMapping, source: str, raw_rows: list[tuple[int, dict[str, str]]], errors: list[RowError],
    warnings: list[RowError],
) -> list[tuple[int, dict[str, str]]]:  # fmt: skip
    """Rows of a CRM file as generic rows (strings), with their line numbers."""
    out = []
    for line, src in raw_rows:
        if any(src.get(c, "").strip().lower() == v for c, v in m.skip_if.items()):
            continue
        row: dict[str, str] = dict(m.constants)
        problem = False
        for col, their in m.columns.items():
            value = src.get(their, "").strip()
            if col in m.multi and col not in m.values:
                value = value.split(m.multi[col])[0].strip()
            try:
                value = _map_value(m, col, value)
            except ValueError as exc:
                if m.skip_bad_rows:
                    warnings.append(RowError(source, line, their, f"{exc}: row skipped"))
                else:
                    errors.append(RowError(source, line, their, str(exc)))
                problem = True
                continue
            if col in REFERENCES and value:
                value = f"name:{value.lower()}" if col in m.by_name else m.id_prefix + value
            row[col] = value
        if problem:
            continue
        key_column = m.columns.get(KEY_OF.get(m.kind, ""))
        if m.external and key_column:
            row[m.external] = src.get(key_column, "").strip()
        if m.derive:
            m.derive(src, row)
        if m.kind == "opportunities.csv" and not row.get("amount"):
            warnings.append(
                RowError(source, line, m.columns.get("amount", "amount"), "no amount: imported as 0")
            )
            row["amount"] = "0"
        if m.kind == "opportunities.csv" and not row.get("opportunity_id") and row.get("name"):
            row["opportunity_id"] = f"{m.id_prefix}{row.get('account_id', '')}/{row['name']}"
        if m.kind == "accounts.csv" and not row.get("account_id") and row.get("name"):
            row["account_id"] = f"{m.id_prefix}name:{row['name'].lower()}"
        out.append((line, row))
    return out


def read_inputs(
    paths: list[Path],
    *,
    mapping: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    roles: Rules | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Batch:
    """Read every file (or generic folder) given, recognising each file from its header."""
    batch = Batch(options=options, roles=roles, on_rows=on_rows)
    mappings = load_mapping(mapping) + BUILT_IN if mapping else BUILT_IN
    pending: list[
        tuple[str, FileMapping | None, Path, list[str], list[tuple[int, dict[str, str]]], ReadOptions]
    ] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and not any((path / name).exists() for name in SCHEMA):
            files.extend(sorted(path.glob("*.csv")))  # a folder of CRM exports: each file on its own
        else:
            files.append(path)
    for path in files:
        if path.is_dir():  # a generic-format folder
            read_folder(path, options, roles, batch=batch)
            continue
        if not path.exists():
            batch.errors.append(RowError(path.name, 0, "-", f"no such file: {path}"))
            continue
        header, raw_rows, file_options = read_table(path, batch.errors, options)
        if not header:
            continue
        batch.files.append(path)
        if path.name in SCHEMA and set(header) >= {c for c, (_, req) in SCHEMA[path.name].items() if req}:
            pending.append((path.name, None, path, header, raw_rows, file_options))
            continue
        m = detect(header, mappings)
        if m is None:
            batch.errors.append(
                RowError(path.name, 1, "-", "not a file abm-tui recognises (HubSpot, Salesforce or the generic "
                         "format); describe its columns in a mapping and pass it with --map")
            )  # fmt: skip
            continue
        pending.append((m.kind, m, path, header, raw_rows, file_options))
    pending.sort(key=lambda p: KIND_ORDER.index(p[0]))
    contact_roles: dict[str, str] = {}
    for kind, m, path, header, raw_rows, file_options in pending:
        if m is None:
            add_rows(batch, kind, header, raw_rows, source=path.name, options=file_options)
            continue
        rows = transform(m, path.name, raw_rows, batch.errors, batch.warnings)
        if kind == "contact_roles":
            for _line, r in rows:
                if r.get("buying_role") and r.get("contact_id"):
                    contact_roles.setdefault(r["contact_id"], r["buying_role"])
            continue
        if kind == "contacts.csv":
            for _line, r in rows:
                if not r.get("buying_role") and r.get("contact_id") in contact_roles:
                    r["buying_role"] = contact_roles[r["contact_id"]]
        their = {**{c: c for c in SCHEMA[kind]}, **m.columns}
        present = {c for c, theirs in m.columns.items() if theirs in header} | set(m.constants)
        present |= {k for _, r in rows for k in r if k not in m.columns}  # derived: names, outcomes, ids
        before = len(batch.errors)
        add_rows(
            batch, kind, sorted(present), rows, source=path.name, column_names=their, options=file_options
        )
        if m.skip_bad_rows and len(batch.errors) > before:  # messy data: report and go on
            batch.warnings.extend(
                replace(e, reason=f"{e.reason}: row skipped") for e in batch.errors[before:]
            )
            del batch.errors[before:]
    return batch
