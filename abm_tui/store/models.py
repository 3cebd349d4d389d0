"""SQLModel tables of DESIGN §2. Table names are the lower-case class names."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# The vocabularies live in abm_tui.domain (the metrics use them too); re-exported here for the store's users.
from abm_tui.domain import BUYING_ROLES, DECISION_KINDS, INTENTS, OUTCOMES, SOURCES  # noqa: F401
from abm_tui.store.list_row import COLUMNS

# Named constraints let Alembic's batch mode (SQLite) drop and recreate them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def table(model: type[SQLModel]) -> Table:
    """A model's Core table (SQLModel sets `__table__` at class creation; type checkers cannot see it)."""
    return model.__table__  # type: ignore[attr-defined]


def utcnow() -> datetime:
    """Naive UTC: every timestamp column stores naive datetimes (see `Naive`)."""
    return datetime.now(UTC).replace(tzinfo=None)


def Naive(**kw):
    """A naive DateTime column; sqlmodel ≥ 0.0.50 would otherwise insist on tz-aware values."""
    return Field(sa_type=DateTime(), **kw)


class Account(SQLModel, table=True):
    """A company; on the ABM list when `is_target`."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=64)
    name: str = Field(index=True)
    domain: str | None = Field(default=None, index=True)  # not unique: CRMs hold duplicates (0004)
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    region: str | None = None
    owner_sales: str | None = Field(default=None, index=True)
    owner_marketing: str | None = Field(default=None, index=True)
    is_target: bool = False
    tier: int | None = None
    icp_fit: int | None = None
    status: str = "active"
    dropped_reason: str | None = None
    hubspot_id: str | None = None  # (matched in memory on import: no index to keep up)
    salesforce_id: str | None = None
    churned_at: date | None = None
    created_at: datetime = Naive(default_factory=utcnow)
    updated_at: datetime = Naive(default_factory=utcnow)
    version: int = 1


class Contact(SQLModel, table=True):
    """A person at an account, with one buying role."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    buying_role: str = "other"
    role_inferred: bool = False
    seniority: str | None = None
    hubspot_id: str | None = None  # (matched in memory on import: no index to keep up)
    salesforce_id: str | None = None


class Spend(SQLModel, table=True):
    """Money spent by a team on a program over the days `period_start` … `period_end` (inclusive)."""

    id: int | None = Field(default=None, primary_key=True)
    # A digest of the row: re-imports are idempotent. A unique index, not a constraint: see 0010.
    source_key: str = Field(unique=True, index=True, max_length=64)
    period_start: date
    period_end: date
    team: str  # sales / marketing
    program: str  # abm / non_abm
    amount: float
    description: str | None = None


class IntentSignal(SQLModel, table=True):
    """A third-party intent signal: an account researching a topic, scored 0–100 on a day."""

    id: int | None = Field(default=None, primary_key=True)
    # A digest of the row: re-imports are idempotent. A unique index, not a constraint: see 0010.
    source_key: str = Field(unique=True, index=True, max_length=64)
    account_id: int = Field(sa_column_args=[ForeignKey("account.id", ondelete="CASCADE")], index=True)
    date: dt.date = Field(index=True)  # (`dt.`: the field's name hides the type here)
    topic: str
    score: float
    source: str | None = None


class Engagement(SQLModel, table=True):
    """One touch; `contact_id` is null for an account-level touch (e.g. an ad impression)."""

    id: int | None = Field(default=None, primary_key=True)
    # Engagements carry no id in the source files: a digest of the row makes re-imports idempotent
    # (a unique index, not a constraint, so a bulk load builds it once after the rows: see 0010).
    source_key: str = Field(unique=True, index=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")  # (read by account: no index)
    occurred_at: datetime = Naive()  # (touches are read by account; the newest is one scan)
    channel: str | None = None
    intent: str = "light"
    description: str | None = None


class Opportunity(SQLModel, table=True):
    """A deal; `close_date` is expected while open, actual once closed."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str | None = None
    amount: float = 0.0
    currency: str | None = None
    stage: str
    created_at: date = Field(index=True)
    close_date: date | None = Field(default=None, index=True)
    outcome: str = "open"
    source: str | None = None
    lost_reason: str | None = None
    hubspot_id: str | None = None  # (matched in memory on import: no index to keep up)
    salesforce_id: str | None = None


class StageChange(SQLModel, table=True):
    """An opportunity entering a stage."""

    # A unique index, not a constraint: a bulk load builds it once after the rows (SQLite cannot drop a
    # constraint's own index); it serves lookups by deal too. By date with the deal: the deals with a
    # change in a period are read from the index alone (the stage velocity of a start: 0.9 → 0.55 s).
    __table_args__ = (
        Index("ix_stagechange_key", "opportunity_id", "stage", "entered_at", unique=True),
        Index("ix_stagechange_entered_at", "entered_at", "opportunity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id")
    stage: str
    entered_at: date


class RoleRequirement(SQLModel, table=True):
    """How many contacts of a buying role a tier needs."""

    __table_args__ = (UniqueConstraint("tier", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    tier: int
    role: str
    min_contacts: int = 1


class Meeting(SQLModel, table=True):
    """A review meeting of a sales rep and a marketer."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Naive(default_factory=utcnow)
    ended_at: datetime | None = Naive(default=None)
    participants: str = ""
    notes: str | None = None


class Decision(SQLModel, table=True):
    """Append-only audit log of what was decided; undo appends a row that `undoes_id` another."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    at: datetime = Naive(default_factory=utcnow, index=True)
    kind: str
    from_tier: int | None = None
    to_tier: int | None = None
    reason: str | None = None
    decided_by: str | None = None
    undoes_id: int | None = Field(default=None, foreign_key="decision.id")
    batch: str | None = Field(default=None, max_length=32, index=True)  # taken together, undone together


class FollowUp(SQLModel, table=True):
    """An action item on an account, with an owner and a due date; logged as a `follow_up` decision."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    text: str
    owner: str | None = None
    due_date: date | None = Field(default=None, index=True)
    created_at: datetime = Naive(default_factory=utcnow)
    done_at: datetime | None = Naive(default=None)


class MeetingSkip(SQLModel, table=True):
    """An agenda entry passed over in a meeting (it stays on the agenda for next time)."""

    __table_args__ = (UniqueConstraint("meeting_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    reason: str | None = None
    at: datetime = Naive(default_factory=utcnow)


class Setting(SQLModel, table=True):
    """A key/value setting: thresholds, window, sales target, as-of date, user name."""

    key: str = Field(primary_key=True, max_length=64)
    value: str


# An account's list metrics as last computed (the first screen reads these, not 1 M engagements): the
# stored fields of the list row (`store.list_row.TargetRow`), one column each. Valid while `MetricState`
# matches the as-of date and parameters and `version` matches the account's: a decision bumps the
# account's version, an import clears the state.
SQL_TYPE = {"int": Integer, "version": Integer, "float": Float, "bool": Boolean, "date": Date}
account_metric = Table(
    "accountmetric",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    *(Column(c.db, SQL_TYPE.get(c.kind, String)(), nullable=c.nullable) for c in COLUMNS if c.table == "m"),
)


class MetricState(SQLModel, table=True):
    """What the stored `accountmetric` rows were computed for (one row, id 1; none: nothing valid)."""

    id: int = Field(default=1, primary_key=True)
    as_of: date
    params_key: str
    velocity: str  # the portfolio's mean days per stage, JSON
    computed_at: datetime = Naive(default_factory=utcnow)
