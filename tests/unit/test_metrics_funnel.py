"""Portfolio metrics (DESIGN §3 "Portfolio (funnel overview)", §6 "funnel --json"), hand-computed.

T = 2024-06-15, `ago(n)` is n days before T (negative = after T). The period is the 365 days
T-364 … T (period start = ago(364)); the quarter containing T is 2024-04-01 … 2024-06-30.
Only active target accounts count in funnel / pipeline / coverage / cycle / velocity / churn;
win rate and deal size are given for ABM (active targets) and non-ABM (all others).
"""

from __future__ import annotations

from functools import partial

import pytest

from abm_tui.metrics import Params, funnel
from tests.unit import metric_builders as builders
from tests.unit.metric_builders import T, ago, build, contact, opp, touch

STAGES = ["target", "reached", "engaged", "mqa", "opportunity", "customer"]


account = partial(builders.account, owner_marketing="max")  # this file's accounts share a marketer


def non_target(id, **kw):
    return account(id, tier=None, is_target=False, **kw)


def sc(opportunity_id, stage, days_ago):
    return {"opportunity_id": opportunity_id, "stage": stage, "entered_at": ago(days_ago)}


def run(ds, *, target=None, tier=None, owner=None):
    return funnel(ds, T, Params(sales_target_quarter=target), tier=tier, owner=owner)


def five_stakeholders(account_id, base):
    """dm, champion and three others, each one light touch today: 40 + 5 + 30 = 75; tier-3 coverage 2/2."""
    roles = ["decision_maker", "champion", "other", "other", "other"]
    cs = [contact(base + i, account_id, r) for i, r in enumerate(roles)]
    return cs, [touch(account_id, c["id"], 0) for c in cs]


# ---------------------------------------------------------------------------------------------
# Stage counts, conversion, reach, MQAs
# ---------------------------------------------------------------------------------------------


def stage_dataset():
    """A1…A7 active targets (one per stage, two at target), plus excluded A8 (dropped), A9, A10 (non-target).

    A1 tier 1, no engagement                                 → target   (owner_marketing "mia")
    A2 tier 1, 1 contact light @80: 8 + 1 + 4.72 = 14        → reached
    A3 tier 2, 10 light account-level today: 0 + 10 + 30 = 40 → engaged
    A4 tier 3, 5 stakeholders today: 75, coverage 2/2        → mqa        (owner_sales "sue" from here on)
    A5 tier 2, open opportunity, no engagement               → opportunity
    A6 tier 3, won opportunity + MQA-level engagement        → customer (and meets MQA)
    A7 tier 1, won but churned @5, no engagement             → target
    A8 tier 3 dropped, MQA-level engagement + open opp       → excluded
    A9 non-target with a won opp                             → excluded
    A10 non-target with score 75                             → excluded
    """
    contacts, engagements = [contact(20, 2)], [touch(2, 20, 80)]
    engagements += [touch(3, None, 0) for _ in range(10)]
    for acc_id in (4, 6, 8):
        cs, es = five_stakeholders(acc_id, acc_id * 100)
        contacts += cs
        engagements += es
    cs, es = five_stakeholders(10, 1000)
    contacts += cs
    engagements += es
    opps = [
        opp(5, 5, 1000, created=ago(20), close=ago(-20)),
        opp(6, 6, 1000, created=ago(100), close=ago(10), outcome="won"),
        opp(7, 7, 1000, created=ago(200), close=ago(100), outcome="won"),
        opp(8, 8, 1000, created=ago(20), close=ago(-20)),
        opp(9, 9, 1000, created=ago(100), close=ago(10), outcome="won"),
    ]
    accounts = [
        account(1, tier=1, owner_marketing="mia"),
        account(2, tier=1),
        account(3, tier=2),
        account(4, tier=3, owner_sales="sue"),
        account(5, tier=2, owner_sales="sue"),
        account(6, tier=3, owner_sales="sue"),
        account(7, tier=1, owner_sales="sue", churned_at=ago(5)),
        account(8, tier=3, status="dropped", owner_sales="sue"),
        non_target(9, owner_sales="sue"),
        non_target(10, owner_sales="sue"),
    ]
    return build(accounts=accounts, contacts=contacts, engagements=engagements, opportunities=opps)


def test_stage_counts_conversion_reach_mqa():
    f = run(stage_dataset())
    assert f["as_of"] == "2024-06-15"
    # exactly-at counts over A1…A7
    assert f["stage_counts"] == {
        "target": 2,
        "reached": 1,
        "engaged": 1,
        "mqa": 1,
        "opportunity": 1,
        "customer": 1,
    }
    # at or beyond: target 7, reached 5, engaged 4, mqa 3, opportunity 2, customer 1
    conv = f["conversion"]
    assert conv["target"] == pytest.approx(5 / 7)
    assert conv["reached"] == pytest.approx(4 / 5)
    assert conv["engaged"] == pytest.approx(3 / 4)
    assert conv["mqa"] == pytest.approx(2 / 3)
    assert conv["opportunity"] == pytest.approx(1 / 2)
    assert conv.get("customer") is None  # the last stage has none
    # reach: tier 1 {A1 ✗, A2 ✓, A7 ✗} = 1/3; tier 2 {A3 ✓, A5 ✗} = 1/2; tier 3 {A4 ✓, A6 ✓} = 1
    assert f["reach_by_tier"]["1"] == pytest.approx(1 / 3)
    assert f["reach_by_tier"]["2"] == pytest.approx(1 / 2)
    assert f["reach_by_tier"]["3"] == pytest.approx(1.0)
    assert set(f["reach_by_tier"]) == {"1", "2", "3"}
    # MQA condition now, whatever the stage: A4 (mqa) and A6 (customer); A8 dropped, A10 non-target
    assert f["mqa_count"] == 2


def test_tier_filter():
    f = run(stage_dataset(), tier=3)
    # tier 3 active targets: A4 (mqa), A6 (customer)
    assert f["stage_counts"] == {
        "target": 0,
        "reached": 0,
        "engaged": 0,
        "mqa": 1,
        "opportunity": 0,
        "customer": 1,
    }
    # at or beyond: 2, 2, 2, 2, 1, 1
    conv = f["conversion"]
    assert conv["target"] == pytest.approx(1.0)
    assert conv["reached"] == pytest.approx(1.0)
    assert conv["engaged"] == pytest.approx(1.0)
    assert conv["mqa"] == pytest.approx(0.5)
    assert conv["opportunity"] == pytest.approx(1.0)
    assert f["reach_by_tier"]["3"] == pytest.approx(1.0)
    assert f["mqa_count"] == 2

    f1 = run(stage_dataset(), tier=1)
    # tier 1: A1 target, A2 reached, A7 target → at or beyond 3, 1, 0, 0, 0, 0
    assert f1["stage_counts"] == {
        "target": 2,
        "reached": 1,
        "engaged": 0,
        "mqa": 0,
        "opportunity": 0,
        "customer": 0,
    }
    assert f1["conversion"]["target"] == pytest.approx(1 / 3)
    assert f1["conversion"]["reached"] == 0.0  # 0/1 is a real zero
    assert f1["conversion"]["engaged"] is None  # 0/0: nothing to divide by
    assert f1["conversion"]["mqa"] is None
    assert f1["conversion"]["opportunity"] is None
    assert f1["reach_by_tier"]["1"] == pytest.approx(1 / 3)
    assert f1["mqa_count"] == 0


def test_owner_filter_matches_sales_or_marketing_owner():
    # "mia" is only A1's marketing owner
    f = run(stage_dataset(), owner="mia")
    assert f["stage_counts"] == {
        "target": 1,
        "reached": 0,
        "engaged": 0,
        "mqa": 0,
        "opportunity": 0,
        "customer": 0,
    }
    assert f["conversion"]["target"] == 0.0
    assert f["conversion"]["reached"] is None
    # "sam" is the sales owner of A1, A2, A3
    f = run(stage_dataset(), owner="sam")
    assert f["stage_counts"] == {
        "target": 1,
        "reached": 1,
        "engaged": 1,
        "mqa": 0,
        "opportunity": 0,
        "customer": 0,
    }
    assert f["reach_by_tier"]["1"] == pytest.approx(1 / 2)  # A1 ✗, A2 ✓
    assert f["reach_by_tier"]["2"] == pytest.approx(1.0)  # A3 ✓
    assert f["reach_by_tier"]["3"] is None  # no tier-3 account of sam's
    assert f["mqa_count"] == 0


def test_empty_dataset_rates_are_none_not_zero():
    f = run(build(), target=100000)
    assert f["stage_counts"] == {s: 0 for s in STAGES}
    assert all(f["conversion"].get(s) is None for s in STAGES)
    assert f["reach_by_tier"] == {"1": None, "2": None, "3": None}
    assert f["mqa_count"] == 0
    assert f["marketing_sourced_pipeline"] == 0
    assert f["marketing_influenced_pipeline"] == 0
    assert f["pipeline_coverage"] == 0  # 0 open / 100000 target is a real 0
    assert f["win_rate"] == {"abm": None, "non_abm": None}
    assert f["avg_deal_size"] == {"abm": None, "non_abm": None}
    assert f["sales_cycle_days"] is None
    assert not f["velocity_days"]
    assert f["churn_rate"] is None


# ---------------------------------------------------------------------------------------------
# Pipeline: marketing-sourced, marketing-influenced, coverage
# ---------------------------------------------------------------------------------------------


def pipeline_dataset():
    """P1 tier 1, P2 tier 2 (active targets), P3 non-target, P4 dropped tier 1."""
    accounts = [
        account(1, tier=1),
        account(2, tier=2, owner_sales="sue"),
        non_target(3),
        account(4, tier=1, status="dropped"),
    ]
    opps = [
        # o1 P1 marketing, created @364 (first day of the period), open, closes 2024-06-30 (in Q2)
        opp(1, 1, 1000, created=ago(364), close="2024-06-30", source="marketing"),
        # o2 P1 marketing, created @365 (one day before the period), open, closes 2024-07-01 (Q3)
        opp(2, 1, 2000, created=ago(365), close="2024-07-01", source="marketing"),
        # o3 P2 sales, created @10, open, expected close 2024-04-01 (in Q2, overdue but still open)
        opp(3, 2, 4000, created=ago(10), close="2024-04-01", source="sales"),
        # o4 P2 marketing, created @100, won @20
        opp(4, 2, 8000, created=ago(100), close=ago(20), outcome="won", source="marketing"),
        # o5 non-target, o6 dropped: excluded everywhere
        opp(5, 3, 16000, created=ago(10), close="2024-05-01", source="marketing"),
        opp(6, 4, 32000, created=ago(10), close="2024-05-01", source="marketing"),
        # o7 created after T: ignored
        opp(7, 1, 64000, created=ago(-1), close="2024-06-30", source="marketing"),
        # o8 P1 marketing, created @50, won on T+10 = 2024-06-25 → open at T, closes in Q2
        opp(8, 1, 128, created=ago(50), close=ago(-10), outcome="won", source="marketing"),
    ]
    engagements = [
        # P1 @453 = o1.created_at - 89 → within the 90 days up to o1's creation → o1 influenced
        touch(1, None, 453),
        # P2 @190 = o4.created_at - 90 → outside o4's 90 days
        touch(2, None, 190),
        # P2 @10 = o3.created_at (lag 0) → o3 influenced; it is after o4's creation → not for o4
        touch(2, None, 10),
        # excluded accounts engaged too
        touch(3, None, 10),
        touch(4, None, 10),
    ]
    return build(accounts=accounts, opportunities=opps, engagements=engagements)


def test_marketing_sourced_and_influenced_pipeline():
    f = run(pipeline_dataset())
    # sourced: created in T-364 … T, source marketing, active targets: o1 1000 + o4 8000 + o8 128 = 9128
    # (o2 created @365 is out of the period, o7 after T, o5/o6 not active targets)
    assert f["marketing_sourced_pipeline"] == pytest.approx(9128.0)
    # influenced: created in the period and engaged in created_at-89 … created_at: o1 (lag 89) 1000 + o3 (lag 0)
    # 4000 = 5000. o4: lags 90 and -90 → no; o8 (@50): P1's only touch is @453 (lag 403) → no.
    assert f["marketing_influenced_pipeline"] == pytest.approx(5000.0)


def test_pipeline_coverage_quarter_containing_T():
    f = run(pipeline_dataset(), target=10000)
    # open at T with close_date in 2024-04-01 … 2024-06-30, active targets: o1 1000 + o3 4000 + o8 128 = 5128
    # (o2 closes in Q3, o4 is won, o5/o6 excluded, o7 not created yet) → 5128 / 10000
    assert f["pipeline_coverage"] == pytest.approx(0.5128)
    # without a sales target there is nothing to divide by
    assert run(pipeline_dataset())["pipeline_coverage"] is None


def test_pipeline_tier_and_owner_filter():
    f = run(pipeline_dataset(), target=10000, tier=2)
    # tier 2 = P2 only: sourced o4 8000; influenced o3 4000; coverage o3 4000 / 10000
    assert f["marketing_sourced_pipeline"] == pytest.approx(8000.0)
    assert f["marketing_influenced_pipeline"] == pytest.approx(4000.0)
    assert f["pipeline_coverage"] == pytest.approx(0.4)
    f = run(pipeline_dataset(), target=10000, owner="sam")
    # sam owns P1 (and the excluded P3, P4): sourced o1 + o8 = 1128; influenced o1 1000; coverage 1128/10000
    assert f["marketing_sourced_pipeline"] == pytest.approx(1128.0)
    assert f["marketing_influenced_pipeline"] == pytest.approx(1000.0)
    assert f["pipeline_coverage"] == pytest.approx(0.1128)


# ---------------------------------------------------------------------------------------------
# Win rate, deal size, sales cycle
# ---------------------------------------------------------------------------------------------


def deals_dataset():
    accounts = [
        account(1, tier=1),
        account(2, tier=3, owner_sales="sue"),
        non_target(3),
        account(4, tier=2, status="dropped"),
    ]
    opps = [
        # ABM, closed in the period
        opp(1, 1, 1000, created=ago(30), close=ago(0), outcome="won"),  # cycle 30
        opp(
            2, 2, 3000, created=ago(400), close=ago(364), outcome="won"
        ),  # cycle 36, close on the period's first day
        opp(3, 1, 500, created=ago(200), close=ago(100), outcome="lost"),
        # ABM, not in the period or not closed at T
        opp(4, 1, 9999, created=ago(500), close=ago(365), outcome="won"),  # a day before the period
        opp(5, 1, 7777, created=ago(50), close=ago(-5), outcome="lost"),  # closes after T: open at T
        opp(6, 2, 5555, created=ago(50), close=ago(-5), outcome="won"),  # closes after T: open at T
        opp(7, 2, 4444, created=ago(50), close=ago(-5)),  # open
        # non-ABM: the non-target P3 and the dropped P4
        opp(8, 3, 600, created=ago(40), close=ago(10), outcome="won"),  # cycle 30 (not ABM)
        opp(9, 3, 100, created=ago(40), close=ago(20), outcome="lost"),
        opp(10, 4, 100, created=ago(40), close=ago(30), outcome="lost"),
        opp(11, 4, 100, created=ago(60), close=ago(40), outcome="lost"),
    ]
    return build(accounts=accounts, opportunities=opps)


def test_win_rate_and_deal_size_abm_vs_non_abm():
    f = run(deals_dataset())
    # ABM closed in period: o1 won, o2 won, o3 lost → 2/3; deal size (1000 + 3000) / 2 = 2000
    assert f["win_rate"]["abm"] == pytest.approx(2 / 3)
    assert f["avg_deal_size"]["abm"] == pytest.approx(2000.0)
    # non-ABM (non-target + dropped): o8 won, o9, o10, o11 lost → 1/4; deal size 600 / 1
    assert f["win_rate"]["non_abm"] == pytest.approx(0.25)
    assert f["avg_deal_size"]["non_abm"] == pytest.approx(600.0)


def test_sales_cycle_days():
    f = run(deals_dataset())
    # ABM won in the period: o1 30 days, o2 400 - 364 = 36 days → (30 + 36) / 2 = 33
    assert f["sales_cycle_days"] == pytest.approx(33.0)


def test_deal_metrics_filters():
    f = run(deals_dataset(), tier=3)
    # tier 3 = P2: o2 won only → 1/1, 3000, cycle 36; non-ABM unchanged
    assert f["win_rate"]["abm"] == pytest.approx(1.0)
    assert f["avg_deal_size"]["abm"] == pytest.approx(3000.0)
    assert f["sales_cycle_days"] == pytest.approx(36.0)
    assert f["win_rate"]["non_abm"] == pytest.approx(0.25)
    f = run(deals_dataset(), owner="sue")
    # sue owns only P2 (ABM); no non-ABM account → None
    assert f["win_rate"]["abm"] == pytest.approx(1.0)
    assert f["win_rate"]["non_abm"] is None
    assert f["avg_deal_size"]["non_abm"] is None


def test_win_rate_and_deal_size_none_without_closed_deals():
    ds = build(
        accounts=[account(1), non_target(2)],
        opportunities=[
            opp(1, 1, 1000, created=ago(30), close=ago(-30)),  # open only on the ABM side
            opp(2, 2, 500, created=ago(30), close=ago(5), outcome="lost"),  # non-ABM: lost only
        ],
    )
    f = run(ds)
    assert f["win_rate"]["abm"] is None  # 0 / 0
    assert f["avg_deal_size"]["abm"] is None  # no won deal
    assert f["win_rate"]["non_abm"] == 0.0  # 0 / 1 is a real zero
    assert f["avg_deal_size"]["non_abm"] is None  # won amount / won count = 0 / 0
    assert f["sales_cycle_days"] is None


# ---------------------------------------------------------------------------------------------
# Velocity
# ---------------------------------------------------------------------------------------------


def test_velocity_over_stays_that_ended_in_the_period():
    accounts = [account(1), account(2), non_target(3)]
    opps = [
        opp(1, 1, 1, created=ago(100), close=ago(-30)),  # open
        opp(2, 2, 1, created=ago(400), close=ago(340), outcome="won"),
        opp(3, 1, 1, created=ago(20), close=ago(-30)),  # open
        opp(4, 3, 1, created=ago(50), close=ago(-30)),  # non-target
    ]
    stage_changes = [
        # o1: qualify @100 → propose @70 → negotiate @50 (open stay, excluded)
        #     stays: qualify 30 (ended @70), propose 20 (ended @50)
        sc(1, "qualify", 100),
        sc(1, "propose", 70),
        sc(1, "negotiate", 50),
        # o2: qualify @400 → propose @380 → negotiate @364 → closed_won @340
        #     qualify 20 ended @380 (before the period: out); propose 16 ended @364 (first day: in);
        #     negotiate 24 ended @340 (in); closed_won has no later change (no stay)
        sc(2, "qualify", 400),
        sc(2, "propose", 380),
        sc(2, "negotiate", 364),
        sc(2, "closed_won", 340),
        # o3: qualify @20 → propose on T+5: at T the qualify stay has not ended
        sc(3, "qualify", 20),
        sc(3, "propose", -5),
        # o4 (non-target): a 40-day qualify stay that must not count
        sc(4, "qualify", 50),
        sc(4, "propose", 10),
    ]
    f = run(build(accounts=accounts, opportunities=opps, stage_changes=stage_changes))
    v = f["velocity_days"]
    # qualify [30] → 30; propose [20, 16] → 18; negotiate [24] → 24
    assert v["qualify"] == pytest.approx(30.0)
    assert v["propose"] == pytest.approx(18.0)
    assert v["negotiate"] == pytest.approx(24.0)
    assert set(v) == {"qualify", "propose", "negotiate"}


# ---------------------------------------------------------------------------------------------
# Churn
# ---------------------------------------------------------------------------------------------


def test_churn_rate():
    # period start = T-364. Customers at the start: a won opp closed before T-364, not churned before T-364.
    accounts = [
        account(1),  # won @365, never churned → customer at start, not churned
        account(2, churned_at=ago(100)),  # won @400, churned @100 → at start, churned in period
        account(3, churned_at=ago(364)),  # won @500, churned on the first day → at start, churned
        account(4, churned_at=ago(365)),  # won @500, churned the day before the period → not at start
        account(5, churned_at=ago(10)),  # won @364 (in the period) → not a customer at the start
        account(6, churned_at=ago(-10)),  # won @400, churns after T → at start, not churned in period
        non_target(7, churned_at=ago(100)),  # excluded
        account(8, status="dropped", churned_at=ago(100)),  # excluded
        account(9),  # lost @400 only → never a customer
    ]
    opps = [
        opp(1, 1, 1, created=ago(500), close=ago(365), outcome="won"),
        opp(2, 2, 1, created=ago(500), close=ago(400), outcome="won"),
        opp(3, 3, 1, created=ago(600), close=ago(500), outcome="won"),
        opp(4, 4, 1, created=ago(600), close=ago(500), outcome="won"),
        opp(5, 5, 1, created=ago(500), close=ago(364), outcome="won"),
        opp(6, 6, 1, created=ago(500), close=ago(400), outcome="won"),
        opp(7, 7, 1, created=ago(500), close=ago(400), outcome="won"),
        opp(8, 8, 1, created=ago(500), close=ago(400), outcome="won"),
        opp(9, 9, 1, created=ago(500), close=ago(400), outcome="lost"),
    ]
    f = run(build(accounts=accounts, opportunities=opps))
    # at start {1, 2, 3, 6} = 4; churned in T-364 … T among them {2, 3} = 2 → 0.5
    # (5 churned in the period but became a customer inside it: not in the denominator, so not in the numerator
    #  either — the documented interpretation "customers at the period start who churned in the period")
    assert f["churn_rate"] == pytest.approx(0.5)


def test_churn_rate_none_without_customers_at_start():
    ds = build(
        accounts=[account(1, churned_at=ago(10))],
        opportunities=[opp(1, 1, 1, created=ago(100), close=ago(50), outcome="won")],
    )
    assert run(ds)["churn_rate"] is None


def test_churn_rate_tier_filter():
    accounts = [account(1, tier=1, churned_at=ago(10)), account(2, tier=2)]
    opps = [
        opp(1, 1, 1, created=ago(500), close=ago(400), outcome="won"),
        opp(2, 2, 1, created=ago(500), close=ago(400), outcome="won"),
    ]
    ds = build(accounts=accounts, opportunities=opps)
    assert run(ds)["churn_rate"] == pytest.approx(0.5)  # 1 of 2
    assert run(ds, tier=1)["churn_rate"] == pytest.approx(1.0)  # 1 of 1
    assert run(ds, tier=2)["churn_rate"] == pytest.approx(0.0)  # 0 of 1
    assert run(ds, tier=3)["churn_rate"] is None  # 0 of 0


def test_reach_window_edge_t_minus_89_in_t_minus_90_out():
    """Reach counts a touch in the window T−89 … T (W = 90): 89 days ago is in, 90 days ago is out."""
    ds = build(
        accounts=[account(1, tier=1), account(2, tier=2), account(3, tier=3)],
        contacts=[contact(10, 1), contact(20, 2), contact(30, 3)],
        engagements=[touch(1, 10, 89), touch(2, 20, 90), touch(3, 30, 0)],
    )
    f = run(ds)
    assert f["reach_by_tier"] == {"1": 1.0, "2": 0.0, "3": 1.0}
    assert f["stage_counts"]["reached"] == 2 and f["stage_counts"]["target"] == 1
