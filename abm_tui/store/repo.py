"""Read side of the store: settings, the metric `Dataset`, one account's details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session, col

from abm_tui.store.metric_cache import resolve_as_of  # noqa: F401  (re-exported)
from abm_tui.store.models import (
    Account,
    Contact,
    Decision,
    Engagement,
    FollowUp,
    IntentSignal,
    Opportunity,
    RoleRequirement,
    Setting,
    Spend,
    StageChange,
    table,
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


def account_count(*, session: Session) -> int:
    return session.execute(select(func.count()).select_from(Account)).scalar_one()


OPPORTUNITY_COLUMNS = (
    "id",
    "account_id",
    "amount",
    "stage",
    "created_at",
    "close_date",
    "outcome",
    "source",
    "lost_reason",
)
ACCOUNT_COLUMNS = (
    "id",
    "source_id",
    "name",
    "domain",
    "is_target",
    "tier",
    "icp_fit",
    "status",
    "churned_at",
    "owner_sales",
    "owner_marketing",
    "industry",
    "version",
)


def load_accounts(engine: Engine, ids: set[int]):
    """The account rows of `ids` as the metrics read them."""
    import pandas as pd

    from abm_tui.metrics.dataset import frame

    a = table(Account)
    with engine.connect() as conn:
        result = conn.execute(select(*(a.c[c] for c in ACCOUNT_COLUMNS)).where(a.c.id.in_(ids)))
        return frame("accounts", pd.DataFrame(result.fetchall(), columns=list(ACCOUNT_COLUMNS)))


TABLES = (
    "accounts",
    "contacts",
    "engagements",
    "opportunities",
    "stage_changes",
    "requirements",
    "spend",
    "intent_signals",
)
MANY_IDS = 20_000  # more accounts than this are read by id ranges (an IN list has its limits)


def load_dataset(
    engine: Engine,
    *,
    ids: set[int] | None = None,
    id_range: tuple[int, int] | None = None,
    tables: tuple[str, ...] = TABLES,
    engagement_columns: tuple[str, ...] = ("account_id", "contact_id", "occurred_at", "intent"),
    account_columns: tuple[str, ...] = ACCOUNT_COLUMNS,
    engagements_since: datetime | None = None,
):
    """Read the tables the metrics need into a `Dataset` (pandas is imported here, not at start-up).

    `ids` or `id_range` (inclusive) read only those accounts and what hangs off them, through the
    account_id indexes; `tables` leaves the others empty; `*_columns` read fewer columns (the others
    come back empty); `engagements_since` leaves out the touches before it.
    """
    import pandas as pd

    from abm_tui.metrics.dataset import Dataset

    def read(conn: Connection, stmt: Any) -> pd.DataFrame:
        # Straight through the driver's cursor: plain tuples, no Row objects (3× faster for 2 M rows);
        # the frames' dtypes are settled by Dataset.build.
        cursor = conn.execute(stmt).cursor
        try:
            return pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        finally:
            cursor.close()

    a, c, e, o, s, r, sp, i = (
        table(m).c
        for m in (
            Account,
            Contact,
            Engagement,
            Opportunity,
            StageChange,
            RoleRequirement,
            Spend,
            IntentSignal,
        )
    )
    if ids is not None and len(ids) > MANY_IDS:  # by id ranges, each cut to the ids: bounded memory
        ordered = sorted(ids)
        chunks = [ordered[i : i + MANY_IDS] for i in range(0, len(ordered), MANY_IDS)]
        return Dataset.concat(
            [
                load_dataset(
                    engine,
                    id_range=(c[0], c[-1]),
                    tables=tables,
                    engagement_columns=engagement_columns,
                    account_columns=account_columns,
                    engagements_since=engagements_since,
                ).subset(set(c))
                for c in chunks
            ]
        )

    def among(column):
        # PostgreSQL: one array parameter (13,000 ids bound one by one in each of six statements took
        # psycopg and SQLAlchemy ~1 s to write out and the server to plan); SQLite has no arrays.
        if engine.dialect.name == "postgresql":
            from sqlalchemy import Integer, any_, bindparam
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == any_(bindparam("ids", sorted(ids), type_=ARRAY(Integer)))
        return column.in_(sorted(ids))

    def where(stmt, column):
        # Each account's rows in id order, as a full read gives them: the metrics' ties then break the
        # same way. By (account_id, id), the order of the account_id index: ordered by id alone, SQLite
        # read a list of 13,000 accounts by scanning the whole table (0.48 s instead of 0.14 s).
        if ids is not None:
            stmt = stmt.where(among(column))
        elif id_range is not None:
            stmt = stmt.where(column.between(*id_range))
        else:
            return stmt
        return stmt.order_by(column, column.table.c.id)

    stage_changes = select(s.opportunity_id, s.stage, s.entered_at)
    if ids is not None or id_range is not None:
        chosen = where(select(o.id), o.account_id).order_by(None)
        stage_changes = stage_changes.where(s.opportunity_id.in_(chosen)).order_by(s.id)
    touches = where(select(*(e[x] for x in engagement_columns)), e.account_id)
    if engagements_since is not None:
        touches = touches.where(e.occurred_at >= engagements_since)
    statements = {
        "accounts": where(select(*(a[x] for x in account_columns)), a.id),
        "contacts": where(select(c.id, c.account_id, c.buying_role), c.account_id),
        "engagements": touches,
        "opportunities": where(select(*(o[x] for x in OPPORTUNITY_COLUMNS)), o.account_id),
        "stage_changes": stage_changes,
        "requirements": select(r.tier, r.role, r.min_contacts),
        "spend": select(sp.period_start, sp.period_end, sp.team, sp.program, sp.amount),
        "intent_signals": where(select(i.account_id, i.date, i.topic, i.score), i.account_id),
    }
    with engine.connect() as conn:
        return Dataset.build(**{name: read(conn, statements[name]) for name in tables})


def account_details(*, session: Session, account_id: int) -> dict[str, Any] | None:
    """One account with its contacts (with touch counts), opportunities and decision history."""
    account = session.get(Account, account_id)
    if account is None:
        return None
    touches = dict(
        session.execute(
            select(col(Engagement.contact_id), func.count())
            .where(col(Engagement.account_id) == account_id, col(Engagement.contact_id).is_not(None))
            .group_by(col(Engagement.contact_id))
        ).all()
    )
    last_touch = dict(
        session.execute(
            select(col(Engagement.contact_id), func.max(col(Engagement.occurred_at)))
            .where(col(Engagement.account_id) == account_id, col(Engagement.contact_id).is_not(None))
            .group_by(col(Engagement.contact_id))
        ).all()
    )
    contacts = session.execute(
        select(Contact).where(col(Contact.account_id) == account_id).order_by(col(Contact.name))
    ).scalars()
    opps = session.execute(
        select(Opportunity)
        .where(col(Opportunity.account_id) == account_id)
        .order_by(col(Opportunity.created_at).desc())
    ).scalars()
    decisions = session.execute(
        select(Decision).where(col(Decision.account_id) == account_id).order_by(col(Decision.id).desc())
    ).scalars()
    follow_ups = session.execute(select(FollowUp).where(col(FollowUp.account_id) == account_id)).scalars()
    return {
        "account": account,
        "contacts": [(c, touches.get(c.id, 0), last_touch.get(c.id)) for c in contacts],
        "opportunities": list(opps),
        "decisions": list(decisions),
        "follow_ups": {f.decision_id: f for f in follow_ups if f.decision_id is not None},
    }


def account_names(*, session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(col(Account.id), col(Account.name)).where(col(Account.id).in_(ids))).all()
    return dict(rows)


def people_to_call(*, session: Session, account_ids: set[int]) -> dict[int, list[tuple]]:
    """The contacts of these accounts with their last touch: (role, name, title, email, phone, last
    touch) by account (who to call next)."""
    if not account_ids:
        return {}
    last = (
        select(col(Engagement.contact_id), func.max(col(Engagement.occurred_at)).label("last"))
        .where(col(Engagement.account_id).in_(account_ids), col(Engagement.contact_id).is_not(None))
        .group_by(col(Engagement.contact_id))
        .subquery()
    )
    c = table(Contact).c
    rows = session.execute(
        select(c.account_id, c.buying_role, c.name, c.title, c.email, c.phone, last.c.last)
        .outerjoin(last, last.c.contact_id == c.id)
        .where(c.account_id.in_(account_ids))
        .order_by(c.id)
    ).all()
    out: dict[int, list[tuple]] = {}
    for account_id, *person in rows:
        out.setdefault(account_id, []).append(tuple(person))
    return out
