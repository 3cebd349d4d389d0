"""Read side of the store: settings, the metric `Dataset`, one account's details."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session

from abm_tui.store.models import (
    Account,
    Contact,
    Decision,
    Engagement,
    Opportunity,
    RoleRequirement,
    Setting,
    StageChange,
)


def get_settings(*, session: Session) -> dict[str, str]:
    return {s.key: s.value for s in session.execute(select(Setting)).scalars()}


def set_setting(*, session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.commit()


def resolve_as_of(settings: dict[str, str], override: date | None = None) -> date:
    """The as-of date: an explicit one, else the `as_of` setting, else today."""
    if override is not None:
        return override
    if settings.get("as_of"):
        return date.fromisoformat(settings["as_of"])
    return date.today()


def account_count(*, session: Session) -> int:
    return session.execute(select(func.count()).select_from(Account)).scalar_one()


ACCOUNT_COLUMNS = ("id", "source_id", "name", "domain", "is_target", "tier", "icp_fit", "status", "churned_at",
                   "owner_sales", "owner_marketing", "industry", "version")  # fmt: skip


def load_accounts(engine: Engine, ids: set[int]):
    """The account rows of `ids` as the metrics read them."""
    import pandas as pd

    from abm_tui.metrics.dataset import frame

    a = Account.__table__
    with engine.connect() as conn:
        result = conn.execute(select(*(a.c[c] for c in ACCOUNT_COLUMNS)).where(a.c.id.in_(ids)))
        return frame("accounts", pd.DataFrame(result.fetchall(), columns=list(ACCOUNT_COLUMNS)))


def load_dataset(engine: Engine):
    """Read every table the metrics need into a `Dataset` (pandas is imported here, not at start-up)."""
    import pandas as pd

    from abm_tui.metrics.dataset import Dataset

    def read(conn: Connection, stmt: Any) -> pd.DataFrame:
        # Straight through the driver's cursor: plain tuples, no Row objects (3× faster for 2 M rows);
        # the frames' dtypes are settled by Dataset.build.
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(str(stmt.compile(dialect=conn.dialect)))
            return pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        finally:
            cursor.close()

    a, c, e, o, s, r = (
        m.__table__.c for m in (Account, Contact, Engagement, Opportunity, StageChange, RoleRequirement)
    )
    with engine.connect() as conn:
        return Dataset.build(
            accounts=read(conn, select(*(a[c] for c in ACCOUNT_COLUMNS))),
            contacts=read(conn, select(c.id, c.account_id, c.buying_role)),
            engagements=read(conn, select(e.account_id, e.contact_id, e.occurred_at, e.intent)),
            opportunities=read(conn, select(o.id, o.account_id, o.amount, o.stage, o.created_at, o.close_date,
                                            o.outcome, o.source)),
            stage_changes=read(conn, select(s.opportunity_id, s.stage, s.entered_at)),
            requirements=read(conn, select(r.tier, r.role, r.min_contacts)),
        )  # fmt: skip


def account_details(*, session: Session, account_id: int) -> dict[str, Any] | None:
    """One account with its contacts (with touch counts), opportunities and decision history."""
    account = session.get(Account, account_id)
    if account is None:
        return None
    touches = dict(
        session.execute(
            select(Engagement.contact_id, func.count())
            .where(Engagement.account_id == account_id, Engagement.contact_id.is_not(None))
            .group_by(Engagement.contact_id)
        ).all()
    )
    last_touch = dict(
        session.execute(
            select(Engagement.contact_id, func.max(Engagement.occurred_at))
            .where(Engagement.account_id == account_id, Engagement.contact_id.is_not(None))
            .group_by(Engagement.contact_id)
        ).all()
    )
    contacts = session.execute(
        select(Contact).where(Contact.account_id == account_id).order_by(Contact.name)
    ).scalars()
    opps = session.execute(
        select(Opportunity)
        .where(Opportunity.account_id == account_id)
        .order_by(Opportunity.created_at.desc())
    ).scalars()
    decisions = session.execute(
        select(Decision).where(Decision.account_id == account_id).order_by(Decision.id.desc())
    ).scalars()
    return {
        "account": account,
        "contacts": [(c, touches.get(c.id, 0), last_touch.get(c.id)) for c in contacts],
        "opportunities": list(opps),
        "decisions": list(decisions),
    }


def account_names(*, session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    return dict(rows)
