"""Decisions: retier / target / drop / restore / note / undo, each one transaction on a real SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from abm_tui.errors import DecisionError, StaleAccount
from abm_tui.store.db import open_store
from abm_tui.store.decisions import (
    Who,
    drop,
    last_undoable,
    note,
    restore,
    retier,
    undo,
)
from abm_tui.store.models import Account, Decision


@pytest.fixture
def engine(db_url):
    """Each test runs on SQLite and on PostgreSQL."""
    engine, _ = open_store(db_url)
    with Session(engine) as s:
        s.add(
            Account(source_id="T2", name="Tier Two GmbH", domain="t2.de", is_target=True, tier=2, icp_fit=4)
        )
        s.add(Account(source_id="NT", name="Not Targeted BV", domain="nt.nl", is_target=False, tier=None))
        s.add(
            Account(source_id="T1", name="Tier One Ltd", domain="t1.co.uk", is_target=True, tier=1, icp_fit=5)
        )
        s.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def acc(engine, source_id: str) -> Account:
    """A fresh copy of the account, read in its own session (what is really in the file)."""
    with Session(engine) as s:
        a = s.execute(select(Account).where(Account.source_id == source_id)).scalar_one()
        s.expunge(a)
        return a


def log(engine) -> list[Decision]:
    with Session(engine) as s:
        rows = list(s.execute(select(Decision).order_by(Decision.id)).scalars())
        for r in rows:
            s.expunge(r)
        return rows


def decision_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Decision)).scalar_one()


# --- retier / target --------------------------------------------------------------------------------


def test_retier_updates_account_and_logs_decision(engine, session):
    a = acc(engine, "T2")
    d = retier(session=session, account_id=a.id, tier=1, who=Who(decided_by="sam"), reason="hot")
    after = acc(engine, "T2")
    assert (after.tier, after.is_target, after.status) == (1, True, "active")
    assert after.version == a.version + 1
    assert after.updated_at >= a.updated_at
    rows = log(engine)
    assert len(rows) == 1
    r = rows[0]
    assert r.id == d.id
    assert (r.kind, r.account_id, r.from_tier, r.to_tier, r.decided_by, r.reason) == (
        "retier",
        a.id,
        2,
        1,
        "sam",
        "hot",
    )
    assert r.undoes_id is None
    assert r.at is not None


def test_retier_records_the_meeting(engine, session):
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO meeting (started_at, participants) VALUES ('2024-06-01 09:00', 'sam, mia')")
        )
        meeting_id = conn.execute(text("SELECT id FROM meeting")).scalar_one()
    retier(session=session, account_id=acc(engine, "T2").id, tier=3, who=Who("mia", meeting_id))
    assert log(engine)[0].meeting_id == meeting_id


def test_retier_of_a_non_target_adds_it_to_the_list_as_kind_target(engine, session):
    a = acc(engine, "NT")
    retier(session=session, account_id=a.id, tier=3, who=Who("mia"))
    after = acc(engine, "NT")
    assert (after.is_target, after.tier) == (True, 3)
    (r,) = log(engine)
    assert (r.kind, r.from_tier, r.to_tier, r.decided_by) == ("target", None, 3, "mia")


@pytest.mark.parametrize("tier", [0, 4, -1])
def test_retier_refuses_an_invalid_tier(engine, session, tier):
    with pytest.raises(DecisionError):
        retier(session=session, account_id=acc(engine, "T2").id, tier=tier)
    assert decision_count(engine) == 0
    assert acc(engine, "T2").tier == 2


def test_retier_to_the_same_tier_is_refused(engine, session):
    with pytest.raises(DecisionError):
        retier(session=session, account_id=acc(engine, "T2").id, tier=2)
    assert decision_count(engine) == 0


def test_retier_of_a_dropped_account_is_refused(engine, session):
    a = acc(engine, "T2")
    drop(session=session, account_id=a.id, reason="no budget")
    with pytest.raises(DecisionError):
        retier(session=session, account_id=a.id, tier=1)
    assert acc(engine, "T2").tier == 2
    assert decision_count(engine) == 1


def test_retier_of_an_unknown_account_is_refused(engine, session):
    with pytest.raises(DecisionError):
        retier(session=session, account_id=99999, tier=1)
    assert decision_count(engine) == 0


# --- optimistic concurrency ---------------------------------------------------------------------------


def test_stale_version_raises_and_changes_nothing(engine, session):
    a = acc(engine, "T2")
    stale_version = a.version
    # someone else changes the account in the meantime (own session, own commit)
    with Session(engine) as other:
        retier(session=other, account_id=a.id, tier=3, who=Who("other laptop"))
    before = acc(engine, "T2")
    n = decision_count(engine)
    with pytest.raises(StaleAccount):
        retier(session=session, account_id=a.id, tier=1, version=stale_version, who=Who("sam"))
    after = acc(engine, "T2")
    assert (after.tier, after.version, after.updated_at) == (before.tier, before.version, before.updated_at)
    assert decision_count(engine) == n


@pytest.mark.parametrize("action", ["drop", "restore"])
def test_stale_version_on_drop_and_restore(engine, session, action):
    a = acc(engine, "T2")
    if action == "restore":
        drop(session=session, account_id=a.id, reason="no budget")
        a = acc(engine, "T2")
    stale = a.version - 1
    n = decision_count(engine)
    with pytest.raises(StaleAccount):
        if action == "drop":
            drop(session=session, account_id=a.id, reason="gone quiet", version=stale)
        else:
            restore(session=session, account_id=a.id, version=stale)
    after = acc(engine, "T2")
    assert (after.status, after.version) == (a.status, a.version)
    assert decision_count(engine) == n


def test_current_version_is_accepted(engine, session):
    a = acc(engine, "T2")
    retier(session=session, account_id=a.id, tier=1, version=a.version)
    assert acc(engine, "T2").tier == 1


def test_session_is_usable_after_a_stale_account(engine, session):
    a = acc(engine, "T2")
    with pytest.raises(StaleAccount):
        retier(session=session, account_id=a.id, tier=1, version=a.version + 5)
    retier(session=session, account_id=a.id, tier=1, version=a.version)
    assert acc(engine, "T2").tier == 1


# --- drop / restore / note ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_drop_requires_a_reason(engine, session, reason):
    with pytest.raises(DecisionError):
        drop(session=session, account_id=acc(engine, "T2").id, reason=reason)
    assert acc(engine, "T2").status == "active"
    assert decision_count(engine) == 0


def test_drop_sets_status_and_reason_and_logs_it(engine, session):
    a = acc(engine, "T2")
    drop(session=session, account_id=a.id, reason="  went with a competitor ", who=Who("sam"))
    after = acc(engine, "T2")
    assert (after.status, after.dropped_reason, after.tier, after.is_target) == (
        "dropped",
        "went with a competitor",
        2,
        True,
    )
    assert after.version == a.version + 1
    (r,) = log(engine)
    assert (r.kind, r.reason, r.from_tier, r.to_tier, r.decided_by) == (
        "drop",
        "went with a competitor",
        2,
        2,
        "sam",
    )


def test_drop_twice_is_refused(engine, session):
    a = acc(engine, "T2")
    drop(session=session, account_id=a.id, reason="x")
    with pytest.raises(DecisionError):
        drop(session=session, account_id=a.id, reason="y")
    assert decision_count(engine) == 1


def test_restore_brings_the_account_back_at_its_tier(engine, session):
    a = acc(engine, "T1")
    drop(session=session, account_id=a.id, reason="no budget")
    restore(session=session, account_id=a.id, who=Who("mia"), reason="budget found")
    after = acc(engine, "T1")
    assert (after.status, after.dropped_reason, after.tier, after.is_target) == ("active", None, 1, True)
    kinds = [(r.kind, r.decided_by, r.reason) for r in log(engine)]
    assert kinds == [("drop", None, "no budget"), ("restore", "mia", "budget found")]


def test_restore_of_an_active_account_is_refused(engine, session):
    with pytest.raises(DecisionError):
        restore(session=session, account_id=acc(engine, "T1").id)
    assert decision_count(engine) == 0


def test_note_logs_text_and_changes_nothing_else(engine, session):
    a = acc(engine, "T1")
    note(session=session, account_id=a.id, text="  CFO changes in Q3 ", who=Who("sam"))
    after = acc(engine, "T1")
    assert (after.tier, after.status, after.version) == (a.tier, a.status, a.version)
    (r,) = log(engine)
    assert (r.kind, r.reason, r.decided_by, r.account_id) == ("note", "CFO changes in Q3", "sam", a.id)


def test_empty_note_is_refused(engine, session):
    with pytest.raises(DecisionError):
        note(session=session, account_id=acc(engine, "T1").id, text="  ")
    assert decision_count(engine) == 0


# --- undo -------------------------------------------------------------------------------------------------


def test_nothing_to_undo(engine, session):
    assert last_undoable(session=session) is None
    with pytest.raises(DecisionError):
        undo(session=session)
    assert decision_count(engine) == 0


def test_undo_retier_appends_a_row_and_restores_the_tier(engine, session):
    a = acc(engine, "T2")
    d = retier(session=session, account_id=a.id, tier=1, who=Who("sam"))
    u = undo(session=session, who=Who("mia"))
    assert acc(engine, "T2").tier == 2
    assert acc(engine, "T2").is_target is True
    rows = log(engine)
    assert [r.id for r in rows] == [d.id, u.id]
    assert rows[0].kind == "retier" and rows[0].to_tier == 1  # the original is untouched
    assert (rows[1].undoes_id, rows[1].from_tier, rows[1].to_tier, rows[1].decided_by) == (d.id, 1, 2, "mia")


def test_undo_target_takes_the_account_off_the_list(engine, session):
    a = acc(engine, "NT")
    d = retier(session=session, account_id=a.id, tier=2)
    undo(session=session)
    after = acc(engine, "NT")
    assert (after.is_target, after.tier) == (False, None)
    assert log(engine)[-1].undoes_id == d.id


def test_undo_drop_restores(engine, session):
    a = acc(engine, "T1")
    d = drop(session=session, account_id=a.id, reason="no budget")
    u = undo(session=session)
    after = acc(engine, "T1")
    assert (after.status, after.dropped_reason, after.tier) == ("active", None, 1)
    assert u.undoes_id == d.id
    assert u.kind == "restore"


def test_undo_restore_drops_again_with_the_old_reason(engine, session):
    a = acc(engine, "T1")
    drop(session=session, account_id=a.id, reason="no budget")
    r = restore(session=session, account_id=a.id)
    u = undo(session=session)
    after = acc(engine, "T1")
    assert (after.status, after.dropped_reason) == ("dropped", "no budget")
    assert u.undoes_id == r.id
    assert u.kind == "drop"


def test_undo_note_withdraws_it_without_deleting(engine, session):
    a = acc(engine, "T1")
    n = note(session=session, account_id=a.id, text="call back")
    u = undo(session=session)
    rows = log(engine)
    assert [r.id for r in rows] == [n.id, u.id]
    assert rows[0].reason == "call back"
    assert rows[1].undoes_id == n.id


def test_repeated_undo_walks_further_back_and_never_deletes(engine, session):
    t2, t1 = acc(engine, "T2"), acc(engine, "T1")
    d1 = retier(session=session, account_id=t2.id, tier=3)
    d2 = drop(session=session, account_id=t1.id, reason="no budget")
    d3 = retier(session=session, account_id=t2.id, tier=1)
    assert last_undoable(session=session).id == d3.id

    u1 = undo(session=session)
    assert u1.undoes_id == d3.id
    assert acc(engine, "T2").tier == 3
    assert last_undoable(session=session).id == d2.id

    u2 = undo(session=session)
    assert u2.undoes_id == d2.id
    assert acc(engine, "T1").status == "active"
    assert last_undoable(session=session).id == d1.id

    u3 = undo(session=session)
    assert u3.undoes_id == d1.id
    assert acc(engine, "T2").tier == 2

    assert last_undoable(session=session) is None
    with pytest.raises(DecisionError):
        undo(session=session)

    rows = log(engine)
    assert [r.id for r in rows] == [d1.id, d2.id, d3.id, u1.id, u2.id, u3.id]
    assert [r.undoes_id for r in rows] == [None, None, None, d3.id, d2.id, d1.id]
    # and the original rows are exactly as they were written
    assert [(r.kind, r.from_tier, r.to_tier) for r in rows[:3]] == [
        ("retier", 2, 3),
        ("drop", 1, 1),
        ("retier", 3, 1),
    ]


def test_undo_after_a_new_decision_undoes_the_new_one(engine, session):
    a = acc(engine, "T2")
    retier(session=session, account_id=a.id, tier=1)
    undo(session=session)
    d = retier(session=session, account_id=a.id, tier=3)
    u = undo(session=session)
    assert u.undoes_id == d.id
    assert acc(engine, "T2").tier == 2


def test_undo_bumps_the_version(engine, session):
    a = acc(engine, "T2")
    retier(session=session, account_id=a.id, tier=1)
    v = acc(engine, "T2").version
    undo(session=session)
    assert acc(engine, "T2").version == v + 1


# --- several at once (marks, a built list) -----------------------------------------------------------


def test_retier_many_leaves_dropped_and_same_tier_accounts_and_undo_takes_the_batch_back(engine, session):
    from abm_tui.store.decisions import drop, retier_many, undo_last

    t1, t2, nt = acc(engine, "T1"), acc(engine, "T2"), acc(engine, "NT")
    drop(session=session, account_id=t1.id, reason="poor fit")
    made = retier_many(session=session, account_ids=[t1.id, t2.id, nt.id], tier=2, who=Who("sam"))
    # T1 is dropped and T2 already Tier 2: only NT moves (joining the list)
    assert [(d.account_id, d.kind, d.from_tier, d.to_tier) for d in made] == [(nt.id, "target", None, 2)]
    assert acc(engine, "T1").status == "dropped" and acc(engine, "T1").tier == 1
    more = retier_many(session=session, account_ids=[t2.id, nt.id], tier=3, who=Who("sam"))
    assert len({d.batch for d in more}) == 1 and more[0].batch is not None
    undone = undo_last(session=session, who=Who("sam"))
    assert sorted(d.account_id for d in undone) == sorted([t2.id, nt.id])
    assert (acc(engine, "T2").tier, acc(engine, "NT").tier) == (2, 2)
    with pytest.raises(DecisionError):  # nothing left to change: said, not silently ignored
        retier_many(session=session, account_ids=[t1.id], tier=3, who=Who("sam"))
