"""Meetings in the store, what changed since a date, and the minutes text."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import Session

from abm_tui.errors import DecisionError
from abm_tui.exporters.minutes import minutes_markdown
from abm_tui.metrics import Dataset
from abm_tui.metrics.changes import changes_since
from abm_tui.metrics.dataset import DEFAULT_REQUIREMENTS
from abm_tui.store import decisions, meetings
from abm_tui.store.db import open_store
from abm_tui.store.decisions import Who
from abm_tui.store.models import Account


@pytest.fixture
def session(tmp_path):
    engine, _ = open_store(f"sqlite:///{tmp_path / 'm.sqlite'}")
    with Session(engine) as s:
        for i, name in enumerate(("Acme", "Beta", "Gamma"), start=1):
            s.add(Account(source_id=f"A{i}", name=name, is_target=True, tier=2))
        s.commit()
        yield s


def test_meeting_lifecycle_and_follow_ups(session):
    with pytest.raises(DecisionError, match="two people"):
        meetings.start_meeting(session=session, participants=["Sam", " "])
    m = meetings.start_meeting(session=session, participants=["Sam", "Mia"])
    assert meetings.unfinished_meeting(session=session).id == m.id
    who = Who(decided_by=m.participants, meeting_id=m.id)
    decisions.retier(session=session, account_id=1, tier=1, who=who)
    follow = meetings.add_follow_up(
        session=session, account_id=2, text="call", owner="Sam", due=date(2026, 12, 1), who=who
    )
    meetings.skip(session=session, meeting_id=m.id, account_id=3)
    meetings.skip(session=session, meeting_id=m.id, account_id=3)  # twice is once
    assert meetings.skipped(session=session, meeting_id=m.id) == [3]
    assert [f.id for f in meetings.open_follow_ups(session=session)] == [follow.id]
    made = meetings.meeting_decisions(session=session, meeting_id=m.id)
    assert [(d.kind, d.account_id, d.meeting_id) for d in made] == [
        ("retier", 1, m.id),
        ("follow_up", 2, m.id),
    ]
    # Undoing the follow-up's decision withdraws it.
    decisions.undo(session=session, who=who)
    assert meetings.open_follow_ups(session=session) == []
    ended = meetings.end_meeting(session=session, meeting_id=m.id)
    assert ended.ended_at is not None and meetings.unfinished_meeting(session=session) is None
    assert meetings.last_participants(session=session) == ["Sam", "Mia"]
    assert meetings.last_ended_meeting(session=session).id == m.id


def test_changes_since_by_hand():
    ds = Dataset.build(
        accounts=[{"id": 1, "source_id": "A", "name": "A", "is_target": True, "tier": 3, "status": "active"}],
        contacts=[
            {"id": 10, "account_id": 1, "buying_role": "decision_maker"},
            {"id": 11, "account_id": 1, "buying_role": "champion"},
        ],
        engagements=[
            {"account_id": 1, "contact_id": 10, "occurred_at": "2026-10-01", "intent": "strategic"},  # before
            {"account_id": 1, "contact_id": 10, "occurred_at": "2026-11-02", "intent": "mid"},  # after
            {"account_id": 1, "contact_id": 11, "occurred_at": "2026-11-10", "intent": "light"},  # after
            {
                "account_id": 1,
                "contact_id": None,
                "occurred_at": "2026-11-01",
                "intent": "light",
            },  # on the day: before
        ],
        opportunities=[
            {
                "id": 5,
                "account_id": 1,
                "amount": 10,
                "stage": "a",
                "created_at": "2026-11-05",
                "outcome": "open",
                "source": "sales",
            }
        ],
        requirements=DEFAULT_REQUIREMENTS,
    )
    c = changes_since(ds, date(2026, 11, 1), date(2026, 11, 10)).loc[1]
    assert c["new_touches"] == 2 and c["touches_by_role"] == {"decision_maker": 1, "champion": 1}
    assert c["new_opportunities"] == 1 and c["moved_opportunities"] == 0
    # Before (T=11-01): 1 stakeholder active → B=.2 (8); points 3+1=4 → D=4/30 (4); last touch 0 d → R=1 (30) = 42.
    # After (T=11-10): 2 active → B=.4 (16); points 3+2+1+1=7 → D=7/30 (7); R=1 (30) = 53.
    assert (c["score_before"], c["score_delta"]) == (42, 11)
    # Tier 3 needs decision maker and champion: engaged before 1/2, after 2/2.
    assert (c["coverage_before"], c["coverage_delta"]) == (0.5, 0.5)


def test_minutes_list_net_decisions():
    from abm_tui.store.models import Decision, FollowUp, Meeting

    m = Meeting(
        id=7,
        participants="Sam, Mia",
        started_at=datetime(2026, 11, 20, 9, 0),
        ended_at=datetime(2026, 11, 20, 9, 45),
    )
    made = [
        Decision(id=1, account_id=1, kind="retier", from_tier=3, to_tier=1, reason="hot"),
        Decision(id=2, account_id=2, kind="drop", from_tier=2, to_tier=2, reason="no budget"),
        Decision(id=3, account_id=3, kind="retier", from_tier=2, to_tier=3),
        Decision(id=4, account_id=3, kind="retier", from_tier=3, to_tier=2, undoes_id=3),
        Decision(id=5, account_id=1, kind="follow_up", reason="call CFO"),
    ]
    follows = [
        FollowUp(account_id=1, decision_id=5, text="call CFO", owner="Sam", due_date=date(2026, 11, 27))
    ]
    text = minutes_markdown(
        m, made, {1: "Acme", 2: "Beta", 3: "Gamma"}, follows, ["Delta"], ["Tier 1 over capacity"]
    )
    assert "1 tier change, 1 drop, 1 follow-up." in text
    assert "1 decision taken back during the meeting" in text
    assert "- **Acme**, Tier 3 → Tier 1: hot" in text
    assert "Gamma" not in text  # its retier was undone
    assert "- **Beta** (was Tier 2): no budget" in text
    assert "- **Acme**: call CFO (Sam, due 2026-11-27)" in text
    assert "|" not in text  # lists, not tables: they read in 80 columns and in any viewer
    assert "- Delta" in text and "- Tier 1 over capacity" in text
    assert "(45 min)" in text


def test_minutes_read_in_80_columns_and_count_the_minutes_shown():
    from abm_tui.domain import local_time
    from abm_tui.store.models import Decision, Meeting

    start = datetime(2026, 11, 20, 8, 57, 50)  # 80 s long, across two clock minutes
    m = Meeting(id=8, participants="Sam, Mia", started_at=start, ended_at=datetime(2026, 11, 20, 8, 59, 10))
    why = "no reply since spring, retry in Q2 once the new CFO has settled in and the budget is known"
    made = [Decision(id=1, account_id=1, kind="retier", from_tier=1, to_tier=3, reason=why)]
    text = minutes_markdown(m, made, {1: "Lehmann Präzisionsteile GmbH"}, [], [])
    shown = f"{local_time(m.started_at):%H:%M}–{local_time(m.ended_at):%H:%M}"
    assert f"**Time:** {shown} (2 min)" in text  # the minutes between the times shown
    item = text[text.index("- **Lehmann") :].split("\n\n")[0].splitlines()
    assert len(item) > 1 and all(len(line) <= 80 for line in item)
    assert all(line.startswith("  ") for line in item[1:])  # one Markdown item, continued
    assert " ".join(line.strip() for line in item).endswith(why)


def test_a_follow_up_agreed_and_done_in_the_same_meeting_says_so():
    from abm_tui.store.models import FollowUp, Meeting

    m = Meeting(id=9, participants="Sam, Mia", started_at=datetime(2026, 11, 20, 9, 0))
    agreed = [
        FollowUp(account_id=1, text="book a workshop", owner="Sam", due_date=date(2026, 11, 30)),
        FollowUp(account_id=2, text="send the deck", owner="Mia", done_at=datetime(2026, 11, 20, 9, 20)),
    ]
    text = minutes_markdown(m, [], {1: "Acme", 2: "Beta"}, agreed, [])
    assert "- **Acme**: book a workshop (Sam, due 2026-11-30)\n" in text
    assert "- **Beta**: send the deck (Mia) — done\n" in text


def test_each_database_keeps_its_own_minutes(tmp_path):
    """Issue 16: two databases' "meeting 1" never share a folder."""
    from abm_tui.review.database import Database
    from abm_tui.review.meeting import minutes_folder

    assert minutes_folder(Database(f"sqlite:///{tmp_path / 'crm.sqlite'}")) == tmp_path / "crm-minutes"
    assert minutes_folder(Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")) == tmp_path / "demo-minutes"
    pg = minutes_folder(Database("postgresql+psycopg://sam@db.example/abm"))
    assert pg.parts[-2:] == ("minutes", "abm_on_db.example")  # named after the database and its host
