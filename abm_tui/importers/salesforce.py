"""Salesforce exports: Data Export / Data Loader object files and the report exports.

An object file is recognised by its full set of usual columns, or — for the subsets a query tool
writes — by its file name (`Account*.csv`, `Opportunity*.csv`, …) or its record-id prefix
(001 account, 003 contact, 006 opportunity, 008 history, 00K contact role), needing only what the
object cannot do without. Deleted rows (`IsDeleted`) are skipped; custom columns are ignored.
"""

from __future__ import annotations

from abm_tui.importers.mapping import Context, FileMapping, flag, outcome_or_open
from abm_tui.importers.values import SOURCE_VALUES

CONTACT_ROLES = {
    "decision maker": "decision_maker",
    "executive sponsor": "decision_maker",
    "economic buyer": "budget_holder",
    "economic decision maker": "budget_holder",
    "technical buyer": "technical",
    "business user": "champion",
    "evaluator": "influencer",
    "influencer": "influencer",
    "other": "other",
    "": "",
}
DELETED = {"IsDeleted": "true"}


def _outcome(src: dict[str, str], out: dict[str, str], ctx: Context, file: str) -> None:
    """IsClosed / IsWon say the outcome when the export has them; else the stage label."""
    closed, won = flag(src.get("IsClosed")), flag(src.get("IsWon"))
    if closed is True:
        out["outcome"] = "won" if won else "lost"
    elif closed is False:
        out["outcome"] = "open"
    elif won is True:
        out["outcome"] = "won"
    else:
        out["outcome"] = outcome_or_open(out.get("stage", ""), ctx, file)


def _contact(src: dict[str, str], out: dict[str, str], _ctx: Context, _file: str) -> None:
    parts = (src.get("FirstName", "").strip(), src.get("LastName", "").strip())
    out["name"] = " ".join(p for p in parts if p) or src.get("Name", "").strip()
    if "MobilePhone" in src:  # the direct line, else the mobile, row by row
        out["phone"] = src.get("Phone", "").strip() or src["MobilePhone"].strip()


MAPPINGS: tuple[FileMapping, ...] = (
    FileMapping(
        name="Salesforce Account",
        kind="accounts.csv",
        detect=frozenset({"Id", "Name", "BillingCountry"}),
        needs=frozenset({"Id", "Name"}),
        file_names=("account",),
        id_prefixes=("001",),
        id_column="Id",
        columns={
            "account_id": "Id",
            "name": "Name",
            "domain": "Website",
            "industry": "Industry",
            "employees": "NumberOfEmployees",
            "annual_revenue": "AnnualRevenue",
            "region": ("BillingCountry", "ShippingCountry", "BillingState"),
            "owner_sales": ("Owner.Name", "OwnerId"),
        },
        id_prefix="salesforce:",
        external="salesforce_id",
        skip_if=DELETED,
        what="Salesforce Account (Account*.csv or ids starting 001, with Id and Name)",
    ),
    FileMapping(
        name="Salesforce Contact",
        kind="contacts.csv",
        detect=frozenset({"Id", "AccountId", "LastName"}),
        needs=frozenset({"Id"}),
        file_names=("contact",),
        id_prefixes=("003",),
        id_column="Id",
        columns={
            "contact_id": "Id",
            "account_id": "AccountId",
            "title": "Title",
            "email": "Email",
            "phone": "Phone",
        },
        id_prefix="salesforce:",
        external="salesforce_id",
        skip_if=DELETED,
        derive=_contact,
        what="Salesforce Contact (Contact*.csv or ids starting 003, with Id)",
    ),
    FileMapping(
        name="Salesforce Opportunity",
        kind="opportunities.csv",
        detect=frozenset({"Id", "AccountId", "StageName"}),
        needs=frozenset({"Id", "StageName"}),
        file_names=("opportunity",),
        id_prefixes=("006",),
        id_column="Id",
        columns={
            "opportunity_id": "Id",
            "account_id": "AccountId",
            "name": "Name",
            "stage": "StageName",
            "amount": "Amount",
            "close_date": "CloseDate",
            "created_at": "CreatedDate",
            "source": "LeadSource",
            "currency": "CurrencyIsoCode",
            "lost_reason": ("Loss_Reason__c", "Lost_Reason__c"),
        },
        values={"stage": {"*": "="}, "source": SOURCE_VALUES},
        id_prefix="salesforce:",
        external="salesforce_id",
        skip_if=DELETED,
        derive=_outcome,
        what="Salesforce Opportunity (Opportunity*.csv or ids starting 006, with Id and StageName)",
    ),
    FileMapping(
        name="Salesforce OpportunityHistory",
        kind="stage_changes.csv",
        detect=frozenset({"OpportunityId", "StageName", "CreatedDate"}),
        needs=frozenset({"OpportunityId", "StageName", "CreatedDate"}),
        file_names=("opportunityhistory",),
        id_prefixes=("008",),
        id_column="Id",
        columns={"opportunity_id": "OpportunityId", "stage": "StageName", "entered_at": "CreatedDate"},
        values={"stage": {"*": "="}},
        id_prefix="salesforce:",
        skip_if=DELETED,
        what="Salesforce OpportunityHistory (OpportunityId, StageName, CreatedDate)",
    ),
    FileMapping(
        name="Salesforce OpportunityContactRole",
        kind="contact_roles",
        detect=frozenset({"ContactId", "OpportunityId", "Role"}),
        needs=frozenset({"ContactId", "Role"}),
        file_names=("opportunitycontactrole",),
        id_prefixes=("00K",),
        id_column="Id",
        columns={"contact_id": "ContactId", "buying_role": "Role"},
        values={"buying_role": CONTACT_ROLES},
        id_prefix="salesforce:",
        skip_if=DELETED,
        what="Salesforce OpportunityContactRole (ContactId, Role)",
    ),
    FileMapping(
        name="Salesforce opportunity report",
        kind="opportunities.csv",
        detect=frozenset({"Opportunity Name", "Account Name", "Stage"}),
        columns={
            "opportunity_id": "Opportunity ID",
            "account_id": "Account Name",
            "name": "Opportunity Name",
            "stage": "Stage",
            "amount": "Amount",
            "close_date": "Close Date",
            "created_at": "Created Date",
            "source": "Lead Source",
            "lost_reason": ("Loss Reason", "Lost Reason"),
        },
        values={"stage": {"*": "="}, "source": SOURCE_VALUES},
        id_prefix="salesforce:",
        by_name=frozenset({"account_id"}),
        derive=_outcome,
        what="a Salesforce opportunity report (Opportunity Name, Account Name, Stage)",
    ),
    FileMapping(
        name="Salesforce account report",
        kind="accounts.csv",
        detect=frozenset({"Account Name", "Billing Country"}),
        columns={
            "account_id": "Account ID",
            "name": "Account Name",
            "domain": "Website",
            "industry": "Industry",
            "employees": "Employees",
            "annual_revenue": "Annual Revenue",
            "region": "Billing Country",
            "owner_sales": "Account Owner",
        },
        id_prefix="salesforce:",
        what="a Salesforce account report (Account Name, Billing Country)",
    ),
)
