"""HubSpot exports: companies, contacts and deals, as the CRM's export (or a saved view) writes them.

Files are recognised by `Record ID` plus the object's name column. Deal outcomes come from the
portal's own flags (`Is Closed Won`, `Is Deal Closed?`, `Deal probability`), because real portals
rename and add stages: the same label can be won in one pipeline and open in another. The stage
history comes from the `Date entered "<stage> (<pipeline>)"` columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from abm_tui.importers.mapping import Context, FileMapping, flag, outcome_from_label, outcome_or_open
from abm_tui.importers.values import BUYING_ROLE_SYNONYMS, SOURCE_VALUES

# Internal stage ids (API-style exports) → the labels HubSpot shows for its default pipeline.
STAGE_LABELS = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}
DATE_ENTERED = re.compile(r'^Date entered "(?P<stage>.+) \((?P<pipeline>[^()]*)\)"$')
COMPANY_IDS, COMPANY_NAMES = "Associated Company IDs", "Associated Company"


def _number(raw: str | None) -> float | None:
    try:
        return float((raw or "").strip())
    except ValueError:
        return None


def deal_outcome(src: dict[str, str], stage: str, ctx: Context, file: str) -> str:
    """won / lost / open from the flags the export has; from the label only when it has none."""
    closed = flag(src.get("Is Deal Closed?")) if "Is Deal Closed?" in src else None
    won = flag(src.get("Is Closed Won")) if "Is Closed Won" in src else None
    probability = _number(src.get("Deal probability")) if "Deal probability" in src else None
    if closed is not None:
        if not closed:
            return "open"
        if won is not None:
            return "won" if won else "lost"
        if probability in (0.0, 1.0):
            return "won" if probability == 1.0 else "lost"
        return "won" if outcome_from_label(stage, ctx) == "won" else "lost"
    if won is not None:
        if won:
            return "won"
        if probability == 0.0 or (probability is None and outcome_from_label(stage, ctx) == "lost"):
            return "lost"
        return "open"
    if probability is not None:
        return "won" if probability == 1.0 else "lost" if probability == 0.0 else "open"
    return outcome_or_open(stage, ctx, file)


def history_columns(ctx: Context, file: str, columns: Iterable[str]) -> list[tuple[str, str]]:
    """(column, stage label) for each `Date entered "<stage> (<pipeline>)"` column, read once per file."""
    key = ("hubspot-history", file)
    if key not in ctx.cache:
        found = []
        for column in columns:
            m = DATE_ENTERED.match(column)
            if m:
                found.append((column, m["stage"].strip()))
        ctx.cache[key] = found
    return ctx.cache[key]


def companies_of(src: dict[str, str]) -> list[tuple[str, str]]:
    """(Record ID, name) of the companies a row names, primary first; pairs kept by position."""
    ids = [i.strip() for i in src.get(COMPANY_IDS, "").split(";") if i.strip()]
    names = [n.strip() for n in src.get(COMPANY_NAMES, "").split(";") if n.strip()]
    if len(names) != len(ids):  # names that do not pair with ids: only a single name is certain
        names = names[:1] * len(ids) if len(set(names)) == 1 else [""] * len(ids)
    seen: dict[str, str] = {}
    for i, n in zip(ids, names):
        if i not in seen or (n and not seen[i]):
            seen[i] = n
    return list(seen.items())


def _deal(src: dict[str, str], out: dict[str, str], ctx: Context, file: str) -> None:
    out["outcome"] = deal_outcome(src, out.get("stage", ""), ctx, file)
    deal_id = out.get("opportunity_id", "")
    entered = [
        (src[column].strip(), stage)
        for column, stage in history_columns(ctx, file, src)
        if src.get(column, "").strip()
    ]
    for when, stage in entered:
        ctx.derived.append(
            ("stage_changes.csv", {"opportunity_id": deal_id, "stage": stage, "entered_at": when})
        )
    if out["outcome"] != "open" and not out.get("close_date") and entered:
        out["close_date"] = max(entered, key=lambda e: e[0])[0]  # entering the closed stage closed it
    companies = companies_of(src)
    if companies:
        company_id, name = companies[0]
        out["account_id"] = "hubspot:" + company_id
        if name:
            ctx.derived.append(
                (
                    "accounts.csv",
                    {"account_id": "hubspot:" + company_id, "name": name, "hubspot_id": company_id},
                )
            )


def _contact(src: dict[str, str], out: dict[str, str], _ctx: Context, _file: str) -> None:
    out["name"] = " ".join(
        p for p in (src.get("First Name", "").strip(), src.get("Last Name", "").strip()) if p
    )
    if "Mobile Phone Number" in src:  # the direct line, else the mobile, row by row
        out["phone"] = src.get("Phone Number", "").strip() or src["Mobile Phone Number"].strip()


def _company(src: dict[str, str], out: dict[str, str], _ctx: Context, _file: str) -> None:
    """A company without a name is still a company (deals may point at it): name it by domain or id."""
    if not out.get("name"):
        out["name"] = out.get("domain") or f"Unnamed company {src.get('Record ID', '').strip()}"


MAPPINGS: tuple[FileMapping, ...] = (
    FileMapping(
        name="HubSpot companies",
        kind="accounts.csv",
        detect=frozenset({"Record ID", "Company name"}),
        columns={
            "account_id": "Record ID",
            "name": "Company name",
            "domain": ("Company Domain Name", "Website URL", "Domain"),
            "industry": "Industry",
            "employees": "Number of Employees",
            "annual_revenue": "Annual Revenue",
            "region": ("Country/Region", "Country", "State/Region"),
            "owner_sales": "Company owner",
            "is_target": "Target Account",
            "tier": "Ideal Customer Profile Tier",
        },
        id_prefix="hubspot:",
        external="hubspot_id",
        derive=_company,
        what="HubSpot companies (Record ID, Company name)",
    ),
    FileMapping(
        name="HubSpot contacts",
        kind="contacts.csv",
        detect=frozenset({"Record ID", "First Name", "Last Name"}),
        columns={
            "contact_id": "Record ID",
            "account_id": (COMPANY_IDS, "Associated Company ID", "Primary Associated Company ID"),
            "title": "Job Title",
            "email": "Email",
            "phone": "Phone Number",
            "buying_role": "Buying Role",
        },
        values={"buying_role": {**BUYING_ROLE_SYNONYMS, "": ""}},
        id_prefix="hubspot:",
        external="hubspot_id",
        multi={"account_id": ";", "buying_role": ";"},
        derive=_contact,
        what="HubSpot contacts (Record ID, First Name, Last Name)",
    ),
    FileMapping(
        name="HubSpot deals",
        kind="opportunities.csv",
        detect=frozenset({"Record ID", "Deal Name"}),
        columns={
            "opportunity_id": "Record ID",
            "name": "Deal Name",
            "stage": "Deal Stage",
            "amount": ("Amount", "Amount in company currency"),
            "created_at": "Create Date",
            "close_date": "Close Date",
            "source": ("Original Source", "Original Traffic Source"),
            "currency": "Currency",
            "lost_reason": "Closed Lost Reason",
        },
        values={"stage": {**{k: v for k, v in STAGE_LABELS.items()}, "*": "="}, "source": SOURCE_VALUES},
        id_prefix="hubspot:",
        external="hubspot_id",
        derive=_deal,
        what="HubSpot deals (Record ID, Deal Name)",
    ),
)
