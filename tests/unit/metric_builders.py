"""Builders for the hand-computed metric fixtures: T is the as-of date, `ago(n)` n days before it."""

from __future__ import annotations

from datetime import date, timedelta

from abm_tui.metrics import Dataset
from abm_tui.metrics.dataset import DEFAULT_REQUIREMENTS

T = date(2024, 6, 15)


def ago(n: int) -> str:
    return (T - timedelta(days=n)).isoformat()


def contact(id, account_id, role="other"):
    return {"id": id, "account_id": account_id, "buying_role": role}


def touch(account_id, contact_id, days_ago, intent="light"):
    return {
        "account_id": account_id,
        "contact_id": contact_id,
        "occurred_at": ago(days_ago),
        "intent": intent,
    }


def opp(id, account_id, amount, *, created, close=None, outcome="open", stage="qualify", source="sales"):
    return {
        "id": id,
        "account_id": account_id,
        "amount": amount,
        "stage": stage,
        "created_at": created,
        "close_date": close,
        "outcome": outcome,
        "source": source,
    }


def build(**tables):
    tables.setdefault("requirements", DEFAULT_REQUIREMENTS)
    return Dataset.build(**tables)


def account(
    id,
    *,
    tier=1,
    is_target=True,
    status="active",
    icp_fit=4,
    churned_at=None,
    owner_sales="sam",
    owner_marketing="mia",
):
    return {
        "id": id,
        "source_id": f"S{id}",
        "name": f"Account {id}",
        "domain": f"a{id}.example",
        "is_target": is_target,
        "tier": tier,
        "icp_fit": icp_fit,
        "status": status,
        "churned_at": churned_at,
        "owner_sales": owner_sales,
        "owner_marketing": owner_marketing,
    }


def non_target(id, **kw):
    return account(id, tier=None, is_target=False, **kw)
