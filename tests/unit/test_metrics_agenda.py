"""The review agenda rules (DESIGN §4), hand-computed.

T = 2024-06-15, `ago(n)` is n days before T (negative = after T). Rules apply to active target
accounts only. Score = round_half_up(40·B + 30·D + 30·R) as in DESIGN §3.
"""

from __future__ import annotations

from abm_tui.metrics import Params, account_metrics
from tests.unit.metric_builders import T, account, ago, build, contact, non_target, opp, touch


def sc(opportunity_id, stage, days_ago):
    return {"opportunity_id": opportunity_id, "stage": stage, "entered_at": ago(days_ago)}


def agendas(ds):
    m = account_metrics(ds, T, Params())
    return {i: set(m.loc[i, "agenda"]) for i in m.index}, m


def engaged_contacts(account_id, base, roles, days_ago=0, intents=None):
    intents = intents or ["light"] * len(roles)
    cs = [contact(base + i, account_id, r) for i, r in enumerate(roles)]
    es = [touch(account_id, c["id"], days_ago, it) for c, it in zip(cs, intents)]
    return cs, es


FIVE = ["decision_maker", "champion", "other", "other", "other"]  # 5 stakeholders today: 40 + 5 + 30 = 75


def test_promote():
    contacts, engagements = [], []
    for acc_id in (1, 2, 3, 8, 9):
        cs, es = engaged_contacts(acc_id, acc_id * 10, FIVE)  # score 75
        contacts += cs
        engagements += es
    # 4: 4 stakeholders (32) + 3+3+1+1 (8) + 30 = 70 exactly
    cs, es = engaged_contacts(4, 40, ["other"] * 4, intents=["strategic", "strategic", "light", "light"])
    contacts += cs
    engagements += es
    # 5: 4 stakeholders (32) + 3+2+1+1 (7) + 30 = 69
    cs, es = engaged_contacts(5, 50, ["other"] * 4, intents=["strategic", "mid", "light", "light"])
    contacts += cs
    engagements += es
    opps = [
        opp(6, 6, 1000, created=ago(10), close=ago(-30)),  # tier 3 open opp
        opp(7, 7, 1000, created=ago(10), close=ago(-30)),  # tier 2 open opp
    ]
    ds = build(
        accounts=[
            account(1, tier=3),
            account(2, tier=2),
            account(3, tier=1),
            account(4, tier=2),
            account(5, tier=2),
            account(6, tier=3),
            account(7, tier=2),
            non_target(8),
            account(9, tier=3, status="dropped"),
        ],
        contacts=contacts,
        engagements=engagements,
        opportunities=opps,
    )
    a, m = agendas(ds)
    assert [m.loc[i, "score"] for i in (1, 2, 3, 4, 5)] == [75, 75, 75, 70, 69]
    assert a[1] == {"promote"}  # tier 3, 75 ≥ 70
    assert a[2] == {"promote"}  # tier 2, 75 ≥ 70
    assert a[3] == set()  # tier 1 is never promoted
    assert a[4] == {"promote"}  # tier 2, exactly 70
    assert a[5] == set()  # tier 2, 69
    assert a[6] == {"promote"}  # open opportunity on tier 3 (score 0, but tier 3 is never demoted)
    assert a[7] == {"demote"}  # open opportunity on tier 2 is no promote reason; score 0 and quiet → demote
    assert a[8] == {"add"}  # not on the list: only `add` looks beyond it (ICP fit 4, score 75)
    assert a[9] == set()  # dropped


def test_demote_score_below_20_and_quiet_60_days():
    contacts, engagements = [], []
    engagements.append(touch(2, None, 60))  # 0 + 1 + 30·0.25 = 8.5 → 9; last touch 60 days ago: quiet
    engagements.append(touch(3, None, 59))  # 0 + 1 + 30·0.5**(59/30) (7.66) = 8.66 → 9; 59 days: not quiet
    cs, es = engaged_contacts(5, 50, FIVE, days_ago=61)  # 40 + 5 + 30·0.5**(61/30) (7.33) = 52: quiet, ≥ 20
    contacts += cs
    engagements += es
    # 6: one contact @60, strategic + light: 8 + 4 + 7.5 = 19.5 → 20 → not < 20
    contacts.append(contact(60, 6))
    engagements += [touch(6, 60, 60, "strategic"), touch(6, 60, 60, "light")]
    # 7: one contact @60, strategic: 8 + 3 + 7.5 = 18.5 → 19 → < 20
    contacts.append(contact(70, 7))
    engagements.append(touch(7, 70, 60, "strategic"))
    engagements.append(touch(8, None, 200, "strategic"))  # only outside the window: score 0, quiet
    engagements.append(touch(9, None, 30))  # 0 + 1 + 15 = 16 < 20 but touched 30 days ago: not quiet
    engagements.append(touch(11, None, -1, "strategic"))  # only after T: as if none
    ds = build(
        accounts=[
            account(1, tier=1),
            account(2, tier=2),
            account(3, tier=2),
            account(4, tier=3),
            account(5, tier=1),
            account(6, tier=1),
            account(7, tier=2),
            account(8, tier=1),
            account(9, tier=1),
            account(10, tier=1, status="dropped"),
            account(11, tier=1),
            non_target(12),
        ],
        contacts=contacts,
        engagements=engagements,
    )
    a, m = agendas(ds)
    assert [m.loc[i, "score"] for i in (2, 3, 5, 6, 7, 9)] == [9, 9, 52, 20, 19, 16]
    assert a[1] == {"demote"}  # tier 1, never engaged
    assert a[2] == {"demote"}  # exactly 60 days since the last touch is outside the last 60 days
    assert a[3] == set()  # touched 59 days ago
    assert a[4] == set()  # tier 3 is never demoted
    assert a[5] == set()  # quiet but score 52
    assert a[6] == set()  # score 19.5 rounds to 20
    assert a[7] == {"demote"}
    assert a[8] == {"demote"}
    assert a[9] == set()
    assert a[10] == set()  # dropped
    assert a[11] == {"demote"}
    assert a[12] == set()  # not on the list


def test_poor_fit():
    ds = build(
        accounts=[
            account(1, tier=3, icp_fit=2),
            account(2, tier=3, icp_fit=1),
            account(3, tier=3, icp_fit=3),
            account(4, tier=3, icp_fit=None),
            non_target(5, icp_fit=1),
            account(6, tier=3, icp_fit=1, status="dropped"),
        ]
    )
    a, _ = agendas(ds)
    assert a[1] == {"poor_fit"}
    assert a[2] == {"poor_fit"}
    assert a[3] == set()
    assert a[4] == set()
    assert a[5] == set()
    assert a[6] == set()


def test_several_rules_at_once():
    cs, es = engaged_contacts(1, 10, FIVE)  # 75
    ds = build(accounts=[account(1, tier=3, icp_fit=1)], contacts=cs, engagements=es)
    a, _ = agendas(ds)
    assert a[1] == {"promote", "poor_fit"}


def test_gap_tier1_open_opportunity_and_missing_role():
    tier1_no_champion = ["decision_maker", "budget_holder", "influencer", "influencer", "technical"]
    tier1_thin = ["decision_maker", "budget_holder", "influencer", "champion", "technical"]
    contacts, engagements = [], []
    for acc_id, roles in (
        (1, tier1_no_champion),
        (2, tier1_thin),
        (3, tier1_no_champion),
        (5, tier1_no_champion),
    ):
        cs, es = engaged_contacts(acc_id, acc_id * 10, roles)  # 5 stakeholders today: 75 (no demote)
        contacts += cs
        engagements += es
    # 4: tier 2, dm + bh + champion today (influencer missing): 24 + 3 + 30 = 57 (no promote)
    cs, es = engaged_contacts(4, 40, ["decision_maker", "budget_holder", "champion"])
    contacts += cs
    engagements += es
    contacts.append(contact(59, 5, "champion"))  # 5: champion present but silent
    opps = [
        opp(1, 1, 1000, created=ago(10), close=ago(-30)),
        opp(2, 2, 1000, created=ago(10), close=ago(-30)),
        opp(3, 3, 1000, created=ago(100), close=ago(10), outcome="won"),  # no open opportunity
        opp(4, 4, 1000, created=ago(10), close=ago(-30)),
        opp(5, 5, 1000, created=ago(10), close=ago(-30)),
    ]
    ds = build(
        accounts=[
            account(1, tier=1),
            account(2, tier=1),
            account(3, tier=1),
            account(4, tier=2),
            account(5, tier=1),
        ],
        contacts=contacts,
        engagements=engagements,
        opportunities=opps,
    )
    a, m = agendas(ds)
    assert m.loc[1, "gaps"]["champion"] == "missing"
    assert m.loc[2, "gaps"]["influencer"] == "thin"
    assert m.loc[5, "gaps"]["champion"] == "silent"
    assert m.loc[4, "score"] == 57
    assert a[1] == {"gap"}
    assert a[2] == set()  # thin is not missing
    assert a[3] == set()  # missing, but no open opportunity
    assert a[4] == set()  # tier 2
    assert a[5] == set()  # silent is not missing


def test_stalled_days_in_stage_over_twice_velocity():
    accounts = [account(i, tier=3) for i in range(1, 6)]
    accounts += [non_target(6), non_target(7), account(10, tier=3, status="dropped")]
    opps = [
        opp(1, 1, 1, created=ago(110), close=ago(80), outcome="won"),  # reference
        opp(11, 1, 1, created=ago(900), close=ago(400), outcome="won"),  # old reference
        opp(2, 2, 1, created=ago(30), close=ago(-30)),
        opp(3, 3, 1, created=ago(30), close=ago(-30)),
        opp(4, 4, 1, created=ago(600), close=ago(-30)),
        opp(5, 5, 1, created=ago(40), close=ago(-30)),
        opp(6, 6, 1, created=ago(310), close=ago(100), outcome="won"),  # non-target reference
        opp(7, 7, 1, created=ago(60), close=ago(-30)),  # non-target, open
        opp(10, 10, 1, created=ago(60), close=ago(-30)),  # dropped, open
    ]
    stage_changes = [
        # reference: qualify @100 → propose @90 → closed_won @80: qualify 10, propose 10 (both end in period)
        sc(1, "qualify", 100),
        sc(1, "propose", 90),
        sc(1, "closed_won", 80),
        # old: a 300-day qualify stay that ended @500, before the period (T-364): not in velocity
        sc(11, "qualify", 800),
        sc(11, "propose", 500),
        # non-target: a 100-day qualify stay that must not count (velocity is over active targets)
        sc(6, "qualify", 300),
        sc(6, "propose", 200),
        # → velocity: qualify 10, propose 10 → stalled when days in stage > 20
        sc(2, "qualify", 21),  # 21 > 20 → stalled
        sc(3, "qualify", 20),  # 20 is not > 20
        sc(4, "negotiate", 500),  # no stays of "negotiate" → no velocity → not stalled
        sc(5, "qualify", 30),
        sc(5, "propose", -1),  # at T still in qualify for 30 days → stalled
        sc(7, "qualify", 50),  # non-target → no agenda
        sc(10, "qualify", 50),  # dropped → no agenda
    ]
    a, _ = agendas(build(accounts=accounts, opportunities=opps, stage_changes=stage_changes))
    stalled = {i for i, rules in a.items() if "stalled" in rules}
    assert stalled == {2, 5}


def test_a_tier_3_promoted_for_an_open_deal_says_so_even_without_an_amount():
    """Maven's open deals have no amount: the reason must still be the deal, not 'score 0'."""
    from datetime import date

    from abm_tui.review.agenda import reasons_for
    from abm_tui.review.targets import TargetRow

    def row(pipeline: float, score: int) -> TargetRow:
        return TargetRow(
            id=1,
            name="Acme",
            domain=None,
            tier=3,
            is_target=True,
            status="active",
            icp_fit=None,
            owner_sales=None,
            owner_marketing=None,
            version=1,
            stage="opportunity",
            score=score,
            is_mqa=False,
            engaged_roles=0,
            required_roles=2,
            coverage=0.0,
            top_gap=None,
            gaps={},
            pipeline=pipeline,
            influenced=0.0,
            last_touch=None,
            agenda=("promote",),
            metric_version=1,
            active_stakeholders=0,
            intent_points=0,
            breadth=0.0,
            depth=0.0,
            recency=0.0,
            intent_score=None,
            surging_topics=(),
            silent_roles=frozenset(),
            search_text="acme\t",
        )

    T = date(2017, 12, 31)
    assert reasons_for(row(0.0, 0), T, {}, {}, "USD") == [
        "Tier 3 with an open deal (no amount given): promote?"
    ]
    assert reasons_for(row(12_000.0, 0), T, {}, {}, "USD") == ["Tier 3 with an open deal ($12k): promote?"]
    assert reasons_for(row(12_000.0, 75), T, {}, {}, "USD") == [
        "Tier 3, score 75, 0 of 2 roles engaged: promote?"
    ]
    # The gap rule says the same of the deal, and lists the missing roles in words.
    gap = row(0.0, 0)._replace(tier=1, agenda=("gap",))
    assert reasons_for(gap, T, {}, {1: "decision maker, budget holder and technical"}, "USD") == [
        "Open deal (no amount given) but decision maker, budget holder and technical missing: find them"
    ]
    assert reasons_for(gap._replace(pipeline=320_000.0), T, {}, {1: "technical"}, "EUR") == [
        "Open deal (€320k) but technical missing: find them"
    ]
