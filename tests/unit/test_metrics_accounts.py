"""Per-account metrics (DESIGN §3 "Per account"), pinned with small hand-computed fixtures.

Every expected number below is worked out by hand from DESIGN.md §3, not copied from the code.
Conventions used throughout: T = 2024-06-15, `ago(n)` is the date n days before T (negative n is after
T). The window W = 90 days is T-89 … T. Score = round_half_up(40·B + 30·D + 30·R) with
B = min(1, active/5), D = min(1, Σweights/30) (strategic 3, mid 2, light 1), R = 0.5 ** (days/30).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from abm_tui.metrics import Params, account_metrics
from abm_tui.metrics.accounts import engagement_per_role, round_half_up
from tests.unit.metric_builders import T, account, ago, build, contact, non_target, opp, touch


def metrics(ds, as_of=T):
    return account_metrics(ds, as_of, Params())


def is_null(x) -> bool:
    return x is None or bool(pd.isna(x))


def as_date(x):
    return None if is_null(x) else pd.Timestamp(x).date()


# ---------------------------------------------------------------------------------------------
# Window edges
# ---------------------------------------------------------------------------------------------


def test_window_edges_90_days_out_89_in_after_T_ignored():
    ds = build(
        accounts=[non_target(1), account(2, tier=3), non_target(3)],
        contacts=[contact(10, 1), contact(20, 2), contact(30, 3)],
        engagements=[
            touch(1, 10, 90, "strategic"),  # exactly W days before T: outside the window
            touch(1, 10, 89, "light"),  # inside
            touch(1, 10, -1, "strategic"),  # after T: ignored everywhere
            touch(2, 20, 90, "strategic"),  # account 2's only touch is outside the window
            touch(3, 30, -1, "strategic"),  # account 3's only touch is after T
        ],
    )
    m = metrics(ds)

    a = m.loc[1]
    # active = {10} → 1; B = 1/5 = 0.2; D = 1 (light @89) / 30; R = 0.5 ** (89/30) ≈ 0.12793
    assert a["active_stakeholders"] == 1
    assert a["breadth"] == pytest.approx(0.2)
    assert a["depth"] == pytest.approx(1 / 30)
    assert a["recency"] == pytest.approx(0.5 ** (89 / 30))
    # 40·0.2 + 30·(1/30) + 30·0.12793 = 8 + 1 + 3.838 = 12.838 → 13
    assert a["score"] == 13
    # first/last engagement: all time up to T → first = T-90, last = T-89 (T+1 ignored)
    assert as_date(a["first_engagement"]) == T - timedelta(days=90)
    assert as_date(a["last_engagement"]) == T - timedelta(days=89)

    b = m.loc[2]
    # nothing in the window: B = D = R = 0, score 0, stage target (on the list, no engagement in window)
    assert b["active_stakeholders"] == 0
    assert b["breadth"] == 0 and b["depth"] == 0 and b["recency"] == 0
    assert b["score"] == 0
    assert b["stage"] == "target"
    assert as_date(b["first_engagement"]) == T - timedelta(days=90)
    assert as_date(b["last_engagement"]) == T - timedelta(days=90)

    c = m.loc[3]
    # only a touch after T: as if there were none
    assert c["score"] == 0 and c["active_stakeholders"] == 0 and c["recency"] == 0
    assert is_null(c["first_engagement"]) and is_null(c["last_engagement"])


def test_as_of_accepts_iso_string():
    ds = build(accounts=[non_target(1)], contacts=[contact(10, 1)], engagements=[touch(1, 10, 0)])
    # 1 stakeholder light today: 8 + 1 + 30 = 39
    assert metrics(ds, as_of=T.isoformat()).loc[1, "score"] == 39


# ---------------------------------------------------------------------------------------------
# Score rounding (halves up)
# ---------------------------------------------------------------------------------------------


def test_round_half_up_helper():
    assert round_half_up(0.5) == 1
    assert round_half_up(1.5) == 2
    assert round_half_up(2.5) == 3  # Python's round() would give 2
    assert round_half_up(16.5) == 17  # round() → 16
    assert round_half_up(2.49) == 2
    assert round_half_up(40 * 0.6) == 24  # 24.000000000000004 is 24
    assert round_half_up(7 / 30 * 30) == 7


def test_score_rounds_exact_halves_up():
    # A touch exactly 60 days ago: R = 0.5 ** 2 = 0.25, 30·R = 7.5 → raw scores end in .5.
    ds = build(
        accounts=[non_target(1), non_target(2), non_target(3), non_target(4)],
        contacts=[contact(20, 2), contact(30, 3), contact(40, 4)],
        engagements=[
            touch(1, None, 60, "light"),  # 0 + 30·(1/30) + 7.5 = 8.5 → 9 (banker's: 8)
            touch(2, 20, 60, "light"),  # 40·0.2 + 1 + 7.5 = 16.5 → 17 (banker's: 16)
            touch(3, 30, 60, "strategic"),  # 8 + 3 + 7.5 = 18.5 → 19 (banker's: 18)
            touch(4, 40, 30, "light"),  # R = 0.5: 8 + 1 + 15 = 24 (exact)
            touch(4, None, 60, "light"),  # + depth only: 24 + 1 = 25; recency is from the 30-day touch
        ],
    )
    m = metrics(ds)
    assert m.loc[1, "recency"] == pytest.approx(0.25)
    assert m.loc[1, "score"] == 9
    assert m.loc[2, "score"] == 17
    assert m.loc[3, "score"] == 19
    assert m.loc[4, "recency"] == pytest.approx(0.5)
    assert m.loc[4, "score"] == 25


# ---------------------------------------------------------------------------------------------
# Breadth, depth, recency
# ---------------------------------------------------------------------------------------------


def test_breadth_caps_at_five_stakeholders():
    contacts = [contact(100 + i, 1) for i in range(7)]  # account 1: 7 contacts
    contacts += [contact(200 + i, 2) for i in range(5)]  # account 2: 5 contacts
    contacts += [contact(300 + i, 3) for i in range(4)]  # account 3: 4 contacts
    engagements = [touch(c["account_id"], c["id"], 0, "light") for c in contacts]
    engagements.append(touch(3, 300, 1, "light"))  # same contact twice: still one stakeholder
    ds = build(
        accounts=[non_target(1), non_target(2), non_target(3)], contacts=contacts, engagements=engagements
    )
    m = metrics(ds)
    # 7 active: B = min(1, 7/5) = 1; D = 7/30; R = 1 → 40 + 7 + 30 = 77
    assert m.loc[1, "active_stakeholders"] == 7
    assert m.loc[1, "breadth"] == pytest.approx(1.0)
    assert m.loc[1, "score"] == 77
    # 5 active: B = 1 → 40 + 5 + 30 = 75
    assert m.loc[2, "breadth"] == pytest.approx(1.0)
    assert m.loc[2, "score"] == 75
    # 4 distinct active (5 touches): B = 0.8 → 32 + 5 + 30 = 67
    assert m.loc[3, "active_stakeholders"] == 4
    assert m.loc[3, "breadth"] == pytest.approx(0.8)
    assert m.loc[3, "depth"] == pytest.approx(5 / 30)
    assert m.loc[3, "score"] == 67


def test_depth_caps_at_30_and_uses_intent_weights():
    engagements = [touch(1, 10, 0, "strategic") for _ in range(11)]  # 33 → capped
    engagements += [touch(2, 20, 0, "strategic") for _ in range(10)]  # exactly 30
    engagements += [touch(3, 30, 0, "strategic"), touch(3, 30, 0, "mid"), touch(3, 30, 0, "light")]  # 6
    ds = build(
        accounts=[non_target(1), non_target(2), non_target(3)],
        contacts=[contact(10, 1), contact(20, 2), contact(30, 3)],
        engagements=engagements,
    )
    m = metrics(ds)
    # D = min(1, 33/30) = 1 → 8 + 30 + 30 = 68
    assert m.loc[1, "depth"] == pytest.approx(1.0)
    assert m.loc[1, "score"] == 68
    # D = 30/30 = 1 → 68
    assert m.loc[2, "depth"] == pytest.approx(1.0)
    assert m.loc[2, "score"] == 68
    # D = (3 + 2 + 1)/30 = 0.2 → 8 + 6 + 30 = 44
    assert m.loc[3, "depth"] == pytest.approx(0.2)
    assert m.loc[3, "score"] == 44


def test_recency_half_life_30_days_and_uses_latest_touch_in_window():
    ds = build(
        accounts=[non_target(1), non_target(2), non_target(3)],
        engagements=[
            touch(1, None, 30, "strategic"),  # R = 0.5
            touch(2, None, 80, "light"),
            touch(2, None, 10, "light"),  # latest in window: R = 0.5 ** (10/30)
            touch(3, None, 0, "light"),  # R = 1
        ],
    )
    m = metrics(ds)
    # B = 0, D = 3/30 = 0.1 → 3, R = 0.5 → 15 → 18
    assert m.loc[1, "recency"] == pytest.approx(0.5)
    assert m.loc[1, "score"] == 18
    # D = 2/30 → 2; R = 0.5 ** (1/3) = 0.793700 → 23.811; 25.811 → 26
    assert m.loc[2, "recency"] == pytest.approx(0.5 ** (10 / 30))
    assert m.loc[2, "score"] == 26
    # D = 1/30 → 1; R = 1 → 30; 31
    assert m.loc[3, "recency"] == pytest.approx(1.0)
    assert m.loc[3, "score"] == 31


def test_account_level_touches_count_for_depth_and_recency_not_breadth():
    ds = build(
        accounts=[account(1, tier=3)],
        contacts=[contact(10, 1, "decision_maker"), contact(11, 1, "champion")],
        engagements=[touch(1, None, 0, "mid"), touch(1, None, 5, "mid"), touch(1, None, 10, "mid")],
    )
    a = metrics(ds).loc[1]
    # no contact touched → active 0, B 0; D = 6/30 = 0.2; R from day 0 = 1 → 0 + 6 + 30 = 36
    assert a["active_stakeholders"] == 0
    assert a["breadth"] == 0
    assert a["depth"] == pytest.approx(0.2)
    assert a["recency"] == pytest.approx(1.0)
    assert a["score"] == 36
    # an account-level touch is an engagement in the window → reached (score < 40)
    assert a["stage"] == "reached"
    # it does not make any buying role engaged: both tier-3 roles identified but silent
    assert a["role_coverage"] == pytest.approx(1.0)
    assert a["buying_group_coverage"] == pytest.approx(0.0)
    assert a["gaps"] == {"decision_maker": "silent", "champion": "silent"}


# ---------------------------------------------------------------------------------------------
# Role coverage, buying-group coverage, gaps
# ---------------------------------------------------------------------------------------------


def test_tier1_coverages_and_gap_precedence():
    ds = build(
        accounts=[account(1, tier=1)],
        contacts=[
            contact(100, 1, "decision_maker"),
            contact(101, 1, "budget_holder"),
            contact(102, 1, "influencer"),  # only 1 of the 2 tier-1 influencers needed
            contact(103, 1, "technical"),
            contact(104, 1, "technical"),
            contact(105, 1, "procurement"),  # not required on tier 1
        ],
        engagements=[
            touch(1, 100, 0),
            touch(1, 102, 0),
            touch(1, 103, 0),
            touch(1, 105, 0),
            touch(1, 101, 95),  # budget holder engaged only outside the window
        ],
    )
    a = metrics(ds).loc[1]
    # identified (≥ min): dm 1≥1 ✓, bh 1≥1 ✓, influencer 1<2 ✗, champion 0 ✗, technical 2≥1 ✓ → 3/5
    assert a["role_coverage"] == pytest.approx(0.6)
    # engaged in window: dm ✓, bh ✗, influencer ✓ (102), champion ✗, technical ✓ (103) → 3/5
    assert a["buying_group_coverage"] == pytest.approx(0.6)
    # first that applies: missing → thin → silent → covered; thin beats an engaged influencer
    assert a["gaps"] == {
        "decision_maker": "covered",
        "budget_holder": "silent",
        "influencer": "thin",
        "champion": "missing",
        "technical": "covered",
    }
    assert "champion" in a["top_gap"] and "missing" in a["top_gap"]
    # 4 distinct contacts touched in the window (incl. the non-required procurement contact)
    assert a["active_stakeholders"] == 4


def test_tier1_influencer_min_two():
    ds = build(
        accounts=[account(1, tier=1), account(2, tier=1), account(3, tier=2), account(4, tier=1)],
        contacts=[
            contact(10, 1, "influencer"),
            contact(11, 1, "influencer"),  # 2 contacts, none engaged
            contact(20, 2, "influencer"),
            contact(21, 2, "influencer"),  # 2 contacts, one engaged
            contact(30, 3, "influencer"),  # tier 2 needs only 1
            contact(40, 4, "influencer"),  # tier 1: 1 of 2, and not engaged: thin comes before silent
        ],
        engagements=[touch(2, 20, 0), touch(3, 30, 0)],
    )
    m = metrics(ds)
    assert m.loc[1, "gaps"]["influencer"] == "silent"
    assert m.loc[2, "gaps"]["influencer"] == "covered"
    assert m.loc[3, "gaps"]["influencer"] == "covered"
    assert m.loc[4, "gaps"]["influencer"] == "thin"
    # account 2: identified = influencer only (dm, bh, champion, technical missing) → 1/5
    assert m.loc[2, "role_coverage"] == pytest.approx(0.2)
    assert m.loc[2, "buying_group_coverage"] == pytest.approx(0.2)


def test_tier2_and_tier3_coverage_fractions_and_required_roles():
    ds = build(
        accounts=[account(1, tier=2), account(2, tier=3)],
        contacts=[
            contact(10, 1, "decision_maker"),
            contact(11, 1, "champion"),
            contact(12, 1, "budget_holder"),
            contact(20, 2, "decision_maker"),
            contact(21, 2, "technical"),
        ],
        engagements=[touch(1, 10, 0), touch(1, 11, 89), touch(2, 21, 0)],
    )
    m = metrics(ds)
    # tier 2 requires dm, bh, influencer, champion. identified: dm, champion, bh → 3/4 = 0.75
    assert m.loc[1, "role_coverage"] == pytest.approx(0.75)
    # engaged: dm (day 0), champion (day 89, in window) → 2/4 = 0.5
    assert m.loc[1, "buying_group_coverage"] == pytest.approx(0.5)
    assert m.loc[1, "gaps"] == {
        "decision_maker": "covered",
        "budget_holder": "silent",
        "influencer": "missing",
        "champion": "covered",
    }
    # tier 3 requires dm, champion only: identified dm → 1/2; engaged none (technical is not required) → 0/2
    assert m.loc[2, "role_coverage"] == pytest.approx(0.5)
    assert m.loc[2, "buying_group_coverage"] == pytest.approx(0.0)
    assert m.loc[2, "gaps"] == {"decision_maker": "silent", "champion": "missing"}


def test_account_without_tier_has_null_coverages_and_no_gaps():
    ds = build(
        accounts=[non_target(1)],
        contacts=[contact(10, 1, "decision_maker")],
        engagements=[touch(1, 10, 0)],
    )
    a = metrics(ds).loc[1]
    assert is_null(a["role_coverage"])
    assert is_null(a["buying_group_coverage"])
    assert a["gaps"] == {}
    assert is_null(a["top_gap"])
    # non-target accounts still get every per-account metric: 8 + 1 + 30 = 39
    assert a["score"] == 39


# ---------------------------------------------------------------------------------------------
# Journey stage
# ---------------------------------------------------------------------------------------------


def five_stakeholders(account_id, base):
    """dm, champion and three others of `account_id`, each with one light touch today.

    B = 1 → 40, D = 5/30 → 5, R = 1 → 30: score 75.
    """
    roles = ["decision_maker", "champion", "other", "other", "other"]
    cs = [contact(base + i, account_id, r) for i, r in enumerate(roles)]
    return cs, [touch(account_id, c["id"], 0) for c in cs]


def test_journey_stages():
    contacts, engagements, opps = [], [], []
    # 2: reached — 1 contact light @80: 8 + 1 + 30·0.5**(80/30) (= 4.72) = 13.72 → 14
    contacts.append(contact(20, 2, "other"))
    engagements.append(touch(2, 20, 80))
    # 3: engaged at exactly 40 — 10 light account-level today: 0 + 10 + 30 = 40
    engagements += [touch(3, None, 0) for _ in range(10)]
    # 4: reached at 39 — 9 light account-level today: 0 + 9 + 30 = 39
    engagements += [touch(4, None, 0) for _ in range(9)]
    # 5: mqa at exactly 60 with coverage exactly 0.5 — 3 stakeholders (24) + weights 3+2+1 (6) + 30 = 60;
    #    dm engaged, champion silent → 1/2
    contacts += [
        contact(50, 5, "decision_maker"),
        contact(51, 5, "champion"),
        contact(52, 5, "other"),
        contact(53, 5, "other"),
    ]
    engagements += [touch(5, 50, 0, "strategic"), touch(5, 52, 0, "mid"), touch(5, 53, 0, "light")]
    # 6: score 60 but coverage 0/2 → engaged
    contacts += [
        contact(60, 6, "decision_maker"),
        contact(61, 6, "champion"),
        contact(62, 6, "other"),
        contact(63, 6, "other"),
        contact(64, 6, "other"),
    ]
    engagements += [touch(6, 62, 0, "strategic"), touch(6, 63, 0, "mid"), touch(6, 64, 0, "light")]
    # 7: coverage 2/2 but score 59 — 3 stakeholders (24) + 2+2+1 (5) + 30 = 59 → engaged
    contacts += [contact(70, 7, "decision_maker"), contact(71, 7, "champion"), contact(72, 7, "other")]
    engagements += [touch(7, 70, 0, "mid"), touch(7, 71, 0, "mid"), touch(7, 72, 0, "light")]
    # 8: non-target, no tier, score 75 → coverage null → never mqa → engaged
    cs, es = five_stakeholders(8, 80)
    contacts += cs
    engagements += es
    # 18: tier 3 target, score 75, coverage 2/2 → mqa
    cs, es = five_stakeholders(18, 180)
    contacts += cs
    engagements += es
    # 9: open opportunity, no engagement → opportunity
    opps.append(opp(90, 9, 1000, created=ago(30), close=ago(-30)))
    # 10: won (closed @10) and another open one → customer is the highest
    opps += [
        opp(100, 10, 1000, created=ago(60), close=ago(10), outcome="won"),
        opp(101, 10, 1000, created=ago(5), close=ago(-60)),
    ]
    # 11: won but churned @5 (≤ T) → not a customer; no engagement → target
    opps.append(opp(110, 11, 1000, created=ago(200), close=ago(100), outcome="won"))
    # 12: won, churned_at after T → still a customer at T
    opps.append(opp(120, 12, 1000, created=ago(200), close=ago(100), outcome="won"))
    # 13: outcome won but close_date after T → still open at T → opportunity
    opps.append(opp(130, 13, 1000, created=ago(30), close=ago(-5), outcome="won"))
    # 14: opportunity created after T → ignored → target
    opps.append(opp(140, 14, 1000, created=ago(-1), close=ago(-30)))
    # 15: only a lost opportunity → target
    opps.append(opp(150, 15, 1000, created=ago(60), close=ago(10), outcome="lost"))
    # 16: churned customer with a new open opportunity → opportunity
    opps += [
        opp(160, 16, 1000, created=ago(300), close=ago(200), outcome="won"),
        opp(161, 16, 1000, created=ago(3), close=ago(-30)),
    ]

    accounts = [account(i, tier=3) for i in (1, 2, 3, 4, 5, 6, 7, 9, 10, 13, 14, 15, 18)]
    accounts += [
        non_target(8),
        account(11, tier=3, churned_at=ago(5)),
        account(12, tier=3, churned_at=ago(-5)),
        account(16, tier=3, churned_at=ago(50)),
    ]
    m = metrics(build(accounts=accounts, contacts=contacts, engagements=engagements, opportunities=opps))

    assert m.loc[2, "score"] == 14
    assert m.loc[3, "score"] == 40
    assert m.loc[4, "score"] == 39
    assert m.loc[5, "score"] == 60 and m.loc[5, "buying_group_coverage"] == pytest.approx(0.5)
    assert m.loc[6, "score"] == 60 and m.loc[6, "buying_group_coverage"] == pytest.approx(0.0)
    assert m.loc[7, "score"] == 59 and m.loc[7, "buying_group_coverage"] == pytest.approx(1.0)
    assert m.loc[8, "score"] == 75
    assert m.loc[18, "score"] == 75
    expected = {
        1: "target",
        2: "reached",
        3: "engaged",
        4: "reached",
        5: "mqa",
        6: "engaged",
        7: "engaged",
        8: "engaged",
        18: "mqa",
        9: "opportunity",
        10: "customer",
        11: "target",
        12: "customer",
        13: "opportunity",
        14: "target",
        15: "target",
        16: "opportunity",
    }
    assert {i: m.loc[i, "stage"] for i in expected} == expected


def test_open_pipeline_sums_open_amounts_at_T():
    ds = build(
        accounts=[account(1), account(2)],
        opportunities=[
            opp(1, 1, 1000, created=ago(30), close=ago(-30)),
            opp(2, 1, 2500, created=ago(10), close=ago(-60)),
            opp(3, 1, 5000, created=ago(90), close=ago(10), outcome="won"),
            opp(4, 1, 700, created=ago(90), close=ago(10), outcome="lost"),
            opp(5, 1, 999, created=ago(-1), close=ago(-60)),  # created after T: ignored
            opp(6, 1, 300, created=ago(40), close=ago(-10), outcome="won"),  # closed after T: open at T
        ],
    )
    m = metrics(ds)
    # 1000 + 2500 + 300 = 3800
    assert m.loc[1, "open_pipeline"] == pytest.approx(3800.0)
    assert m.loc[2, "open_pipeline"] == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------
# Engagement per role
# ---------------------------------------------------------------------------------------------


def test_engagement_per_role_13_weeks_oldest_first():
    ds = build(
        accounts=[account(1, tier=3), account(2, tier=3)],
        contacts=[contact(10, 1, "decision_maker"), contact(11, 1, "champion"), contact(20, 2, "champion")],
        engagements=[
            touch(1, 10, 0, "strategic"),  # week ending T (last bucket): 3
            touch(1, 10, 6, "light"),  # T-6 … T: last bucket: +1 → 4
            touch(1, 10, 7, "mid"),  # T-13 … T-7: second-to-last bucket: 2
            touch(1, 11, 90, "mid"),  # T-90 … T-84: first (oldest) bucket: 2
            touch(1, None, 13, "light"),  # account-level, T-13 … T-7: 1
            touch(1, 10, 91, "strategic"),  # 13 weeks = 91 days = T-90 … T: day 91 is outside
            touch(1, 10, -1, "strategic"),  # after T: ignored
            touch(2, 20, 0, "strategic"),  # another account: not counted
        ],
    )
    table = engagement_per_role(ds, 1, T)
    assert table.shape[1] == 13
    cols = list(table.columns)
    assert cols == sorted(cols)  # oldest first
    rows = {r: [float(v) for v in table.loc[r]] for r in table.index}
    assert rows["decision_maker"] == [0.0] * 11 + [2.0, 4.0]
    assert rows["champion"] == [2.0] + [0.0] * 12
    assert rows["account"] == [0.0] * 11 + [1.0, 0.0]
    for r, values in rows.items():
        if r not in ("decision_maker", "champion", "account"):
            assert sum(values) == 0
    # total weight = 3 + 1 + 2 + 2 + 1 = 9
    assert sum(sum(v) for v in rows.values()) == pytest.approx(9.0)


def test_engagement_per_role_when_every_touch_in_the_weeks_is_account_level():
    """The stored touches' contact ids are nullable integers: when none in the 13 weeks names a
    contact, the roles still come out (the account screen crashed on such an account)."""
    ds = build(
        accounts=[account(1, tier=3)],
        contacts=[contact(10, 1, "champion")],
        engagements=[touch(1, 10, 120, "strategic"), touch(1, None, 3, "mid"), touch(1, None, 20, "light")],
    )
    table = engagement_per_role(ds, 1, T)
    assert list(table.index) == ["account"]
    assert [float(v) for v in table.loc["account"]] == [0.0] * 10 + [1.0, 0.0, 2.0]


def test_top_gap_ties_go_to_the_first_required_role():
    """Two roles with the same (worst) gap: the top gap is the one the tier lists first, not the
    alphabetical first. Tier 3 needs decision_maker then champion; with no contacts both are missing."""
    a = metrics(build(accounts=[account(1, tier=3)])).loc[1]
    assert a["gaps"] == {"decision_maker": "missing", "champion": "missing"}
    assert a["top_gap"] == "decision_maker missing"
    # A thin role outranks a silent one whatever their order: tier 1 needs influencer (2) before technical.
    ds = build(
        accounts=[account(2, tier=1)],
        contacts=[
            contact(1, 2, "decision_maker"),
            contact(2, 2, "budget_holder"),
            contact(3, 2, "influencer"),
            contact(4, 2, "champion"),
            contact(5, 2, "technical"),
        ],
        engagements=[touch(2, c, 1) for c in (1, 2, 3, 4)],
    )
    b = metrics(ds).loc[2]
    assert b["gaps"]["influencer"] == "thin" and b["gaps"]["technical"] == "silent"
    assert b["top_gap"] == "influencer thin"


def test_a_customer_churned_on_the_as_of_day_is_no_longer_a_customer():
    """churned_at ≤ T ends the customer stage: on T itself it has ended; the day after T it has not."""
    opps = [
        opp(1, 1, 1000, created=ago(200), close=ago(100), outcome="won"),
        opp(2, 2, 1000, created=ago(200), close=ago(100), outcome="won"),
    ]
    ds = build(
        accounts=[account(1, tier=3, churned_at=ago(0)), account(2, tier=3, churned_at=ago(-1))],
        opportunities=opps,
    )
    m = metrics(ds)
    assert (m.loc[1, "stage"], m.loc[2, "stage"]) == ("target", "customer")
