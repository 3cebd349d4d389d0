"""The input of every metric: plain data frames with fixed columns, and the tunable numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from abm_tui.domain import DEFAULT_PARAMS, Params  # noqa: F401  (re-exported: the metrics take them)

COLUMNS: dict[str, dict[str, str]] = {
    "accounts": {
        "id": "int64",
        "source_id": "object",
        "name": "object",
        "domain": "object",
        "is_target": "bool",
        "tier": "Int64",
        "icp_fit": "Int64",
        "status": "object",
        "churned_at": "datetime64[ns]",
        "owner_sales": "object",
        "owner_marketing": "object",
    },
    "contacts": {"id": "int64", "account_id": "int64", "buying_role": "object"},
    "engagements": {
        "account_id": "int64",
        "contact_id": "Int64",
        "occurred_at": "datetime64[ns]",
        "intent": "object",
    },
    "opportunities": {
        "id": "int64",
        "account_id": "int64",
        "amount": "float64",
        "stage": "object",
        "created_at": "datetime64[ns]",
        "close_date": "datetime64[ns]",
        "outcome": "object",
        "source": "object",
        "lost_reason": "object",
    },
    "stage_changes": {"opportunity_id": "int64", "stage": "object", "entered_at": "datetime64[ns]"},
    "requirements": {"tier": "int64", "role": "object", "min_contacts": "int64"},
    # spend.csv: an amount spent over the days period_start … period_end (both inclusive).
    "spend": {
        "period_start": "datetime64[ns]",
        "period_end": "datetime64[ns]",
        "team": "object",
        "program": "object",
        "amount": "float64",
    },
    # intent_signals.csv, each row placed at its account (`intent.match_signals`).
    "intent_signals": {
        "account_id": "int64",
        "date": "datetime64[ns]",
        "topic": "object",
        "score": "float64",
    },
}
WHOLE = ("requirements", "spend")  # not per account: a subset or a part keeps them whole


def frame(name: str, rows: Any = None) -> pd.DataFrame:
    """A frame with exactly the columns and dtypes `name` needs (extra columns are kept)."""
    df = pd.DataFrame(rows if rows is not None else [])
    for col, dtype in COLUMNS[name].items():
        if col not in df.columns:
            df[col] = pd.Series(dtype="object")
        if dtype.startswith("datetime"):
            # Dates count by calendar day: drop any time of day.
            df[col] = pd.to_datetime(df[col], errors="coerce").dt.normalize().astype("datetime64[ns]")
        elif dtype == "bool":
            df[col] = df[col].fillna(False).astype(bool)
        elif dtype == "float64":
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif dtype in ("int64", "Int64"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
            if dtype == "int64":
                df[col] = df[col].astype("int64")
        else:
            df[col] = df[col].astype("object")
    return df


@dataclass(frozen=True)
class Dataset:
    """Everything the metrics read, as data frames (see `COLUMNS`)."""

    accounts: pd.DataFrame
    contacts: pd.DataFrame
    engagements: pd.DataFrame
    opportunities: pd.DataFrame
    stage_changes: pd.DataFrame
    requirements: pd.DataFrame
    spend: pd.DataFrame
    intent_signals: pd.DataFrame

    def subset(self, account_ids: set[int]) -> Dataset:
        """Only these accounts and what hangs off them (requirements and spend stay whole)."""
        opps = self.opportunities[self.opportunities["account_id"].isin(account_ids)]
        return Dataset(
            accounts=self.accounts[self.accounts["id"].isin(account_ids)],
            contacts=self.contacts[self.contacts["account_id"].isin(account_ids)],
            engagements=self.engagements[self.engagements["account_id"].isin(account_ids)],
            opportunities=opps,
            stage_changes=self.stage_changes[self.stage_changes["opportunity_id"].isin(opps["id"])],
            requirements=self.requirements,
            spend=self.spend,
            intent_signals=self.intent_signals[self.intent_signals["account_id"].isin(account_ids)],
        )

    @classmethod
    def concat(cls, parts: list[Dataset]) -> Dataset:
        """The accounts of several datasets together (requirements and spend are whole in each)."""
        if not parts:
            return cls.build()
        frames = {
            name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)
            for name in COLUMNS
            if name not in WHOLE
        }
        return cls(**frames, **{name: getattr(parts[0], name) for name in WHOLE})

    @classmethod
    def build(cls, **tables: Any) -> Dataset:
        """Build from lists of dicts or frames; missing tables are empty."""
        return cls(**{name: frame(name, tables.get(name)) for name in COLUMNS})


DEFAULT_REQUIREMENTS = [
    {"tier": 1, "role": "decision_maker", "min_contacts": 1},
    {"tier": 1, "role": "budget_holder", "min_contacts": 1},
    {"tier": 1, "role": "influencer", "min_contacts": 2},
    {"tier": 1, "role": "champion", "min_contacts": 1},
    {"tier": 1, "role": "technical", "min_contacts": 1},
    {"tier": 2, "role": "decision_maker", "min_contacts": 1},
    {"tier": 2, "role": "budget_holder", "min_contacts": 1},
    {"tier": 2, "role": "influencer", "min_contacts": 1},
    {"tier": 2, "role": "champion", "min_contacts": 1},
    {"tier": 3, "role": "decision_maker", "min_contacts": 1},
    {"tier": 3, "role": "champion", "min_contacts": 1},
]


def as_timestamp(value: date | str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()
