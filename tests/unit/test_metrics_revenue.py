"""Revenue outcomes, intent signals, movement and trend (DESIGN §3), hand-computed.

T = 2026-06-30. The period P is the 365 days 2025-07-01 … 2026-06-30; the quarter containing T is
2026-Q2. ABM = active target accounts (1, 2, 6); non-ABM = every other account (3, 4, 5).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm_tui.domain import host, hosts
from abm_tui.metrics import Params, account_metrics, funnel
from abm_tui.metrics.dataset import DEFAULT_REQUIREMENTS, Dataset
from abm_tui.metrics.intent import intent_by_account, place_signals
from abm_tui.metrics.movement import movement, stage_counts, stages_as_of, trend, trend_dates
from abm_tui.metrics.revenue import prorated_spend
from tests.unit.metric_builders import account, non_target

T = pd.Timestamp("2026-06-30")


def deal(id, account_id, amount, outcome, close, *, created="2025-01-01", source=None, reason=None):
    return {
        "id": id,
        "account_id": account_id,
        "amount": amount,
        "stage": outcome,
        "created_at": created,
        "close_date": close,
        "outcome": outcome,
        "source": source,
        "lost_reason": reason,
    }


def spend(start, end, amount, program="abm", team="marketing"):
    return {"period_start": start, "period_end": end, "team": team, "program": program, "amount": amount}


ACCOUNTS = [
    account(1, tier=1, icp_fit=5),
    account(2, tier=2, icp_fit=4),
    non_target(3, icp_fit=4),
    non_target(4, icp_fit=2, churned_at="2026-01-01"),
    account(5, tier=1, icp_fit=5, status="dropped"),  # dropped: non-ABM, and out of TAM
    account(6, tier=3, icp_fit=3, churned_at="2025-12-01"),
]
DEALS = [
    deal(1, 1, 10_000, "won", "2025-03-01"),  # account 1 a customer before P
    deal(2, 1, 20_000, "won", "2025-09-15", created="2025-06-01", source="marketing"),  # a repeat win
    deal(3, 2, 30_000, "won", "2026-02-10", created="2025-10-01", source="marketing"),  # account 2's first
    deal(4, 2, 5_000, "won", "2026-02-10", created="2025-11-01"),  # the same day: not a repeat
    deal(5, 2, 8_000, "lost", "2026-05-01", created="2026-01-01", reason=" Price "),
    deal(6, 1, 1_000, "lost", "2026-04-01", created="2026-02-01", reason=""),
    deal(7, 2, 4_000, "lost", "2026-06-01", created="2026-03-01", reason="Price"),
    deal(8, 3, 12_000, "won", "2026-01-05", source="sales"),  # non-ABM's new customer
    deal(9, 3, 7_000, "lost", "2025-06-30", reason="Timing"),  # the day before P
    deal(10, 1, 50_000, "open", "2026-09-30", created="2026-05-01"),
    deal(11, 4, 4_000, "won", "2025-01-10"),  # non-ABM customer at P's start, churned in P
    deal(12, 6, 2_000, "won", "2024-12-01"),  # ABM customer at P's start, churned in P
]
SPEND = [
    spend("2025-04-01", "2025-09-30", 18_300),  # 183 days, 92 in P: 9,200
    spend("2026-04-01", "2026-09-30", 36_600, team="sales"),  # 183 days, 91 up to T: 18,200
    spend("2025-10-01", "2026-03-31", 10_000),  # all in P
    spend("2024-01-01", "2024-12-31", 99_000),  # before P
    spend("2024-01-01", "2024-06-30", 5_000, program="non_abm"),  # before P: non-ABM spend unknown
]


def dataset(**tables) -> Dataset:
    tables.setdefault("accounts", ACCOUNTS)
    tables.setdefault("opportunities", DEALS)
    tables.setdefault("spend", SPEND)
    return Dataset.build(requirements=DEFAULT_REQUIREMENTS, **tables)


@pytest.fixture(scope="module")
def revenue():
    return funnel(dataset(), T, Params())


def test_spend_is_prorated_across_the_periods_edges():
    ds = dataset()
    start = T - pd.Timedelta(days=364)
    assert start == pd.Timestamp("2025-07-01")
    assert prorated_spend(ds.spend, start, T) == {"abm": 9_200 + 18_200 + 10_000, "non_abm": None}


def test_unknown_spend_is_null_and_zero_spend_is_zero():
    ds = dataset(spend=[*SPEND, spend("2026-01-01", "2026-01-31", 0, program="non_abm")])
    f = funnel(ds, T, Params())
    assert f["spend"] == {"abm": 37_400, "non_abm": 0.0}
    assert f["cac"]["non_abm"] == 0.0  # 0 spent / 1 new customer
    assert f["roi"]["non_abm"] is None  # nothing to divide by
    none = funnel(dataset(spend=[]), T, Params())
    assert none["spend"] == {"abm": None, "non_abm": None}
    assert none["cac"] == none["roi"] == none["ltv_to_cac"] == {"abm": None, "non_abm": None}


def test_new_customers_repeat_wins_and_expansion(revenue):
    assert revenue["new_customers"] == {"abm": 1, "non_abm": 1}  # account 2; account 3
    assert revenue["repeat_wins"] == {"abm": 1, "non_abm": 0}  # deal 2 (deal 4 is on account 2's first day)
    assert revenue["expansion_revenue"] == {"abm": 20_000, "non_abm": 0}
    assert revenue["order_frequency"] == {"abm": 1.5, "non_abm": 1.0}  # 3 wins at 2 accounts; 1 at 1
    assert revenue["marketing_sourced_revenue"] == {"abm": 50_000, "non_abm": 0}


def test_churn_lifetime_and_ltv(revenue):
    # ABM customers at P's start: 1 and 6; 6 churned in P. Non-ABM: 4, churned in P.
    assert revenue["churn_rate_by_group"] == {"abm": 0.5, "non_abm": 1.0}
    assert revenue["churn_rate"] == 0.5
    assert revenue["retention_rate"] == 0.5
    assert revenue["customer_lifetime_years"] == {"abm": 2.0, "non_abm": 1.0}
    # average deal size × order frequency × lifetime: 55,000 / 3 × 1.5 × 2; 12,000 × 1 × 1
    assert revenue["ltv"]["abm"] == pytest.approx(55_000)
    assert revenue["ltv"]["non_abm"] == pytest.approx(12_000)


def test_no_churn_means_no_lifetime_and_no_ltv():
    tier1 = funnel(dataset(), T, Params(), tier=1)  # ABM is account 1 alone: a customer, not churned
    assert tier1["churn_rate_by_group"]["abm"] == 0.0
    assert tier1["customer_lifetime_years"]["abm"] is None
    assert tier1["ltv"]["abm"] is None
    assert tier1["ltv_to_cac"]["abm"] is None


def test_cac_roi_and_ltv_to_cac(revenue):
    assert revenue["spend"] == {"abm": 37_400, "non_abm": None}
    assert revenue["cac"] == {"abm": 37_400, "non_abm": None}
    assert revenue["roi"]["abm"] == pytest.approx((55_000 - 37_400) / 37_400)  # won in P: 20k + 30k + 5k
    assert revenue["roi"]["non_abm"] is None
    assert revenue["ltv_to_cac"]["abm"] == pytest.approx(55_000 / 37_400)


def test_marketing_share_tam_quarters_and_loss_reasons(revenue):
    # ABM deals created in P: 3, 4, 5, 6, 7, 10 = 98,000; marketing-sourced among them: deal 3
    assert revenue["marketing_share_of_pipeline"] == pytest.approx(30_000 / 98_000)
    # won in P (both groups) 20k, 30k, 5k, 12k → 16,750 on average × accounts 1, 2, 3 (fit ≥ 4, not dropped)
    assert revenue["tam"] == pytest.approx(16_750 * 3)
    assert revenue["win_rate_by_quarter"] == [
        {"quarter": "2025-Q3", "abm": 1.0, "non_abm": None},
        {"quarter": "2025-Q4", "abm": None, "non_abm": None},
        {"quarter": "2026-Q1", "abm": 1.0, "non_abm": 1.0},
        {"quarter": "2026-Q2", "abm": 0.0, "non_abm": None},
    ]
    assert revenue["loss_reasons"] == {"Price": 2, "(none given)": 1}  # deal 9 closed before P


# --- intent signals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Example.com/path", "example.com"),
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("WWW.example.com.", "example.com"),
        ("a..b", "a..b"),
        ("http://shop.example.com:8080/x?y", "shop.example.com"),
        ("", None),
        (None, None),
    ],
)
def test_domains_compare_as_hosts(raw, expected):
    assert host(raw) == expected
    assert hosts([raw]) == [expected]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("abAB09-.:/@ w?#")), max_size=14)))
)
def test_hosts_of_many_values_are_their_hosts_one_by_one(values):
    """`hosts` takes a bare host as it is: the same as `host` of each value."""
    assert hosts(values) == [host(v) for v in values]


def test_signals_belong_to_their_account_by_id_then_by_domain_and_the_rest_are_counted():
    ids = {"A1": 1, "A2": 2, "A3": 3, "A4": 4}
    domains = pd.Series(["example.com", "acme.io", "dup.com", "dup.com"], index=[1, 2, 3, 4])
    signals = pd.DataFrame(
        {
            "account_id": ["A1", None, "ZZZ", None, None, "A2"],
            "domain": [
                None,
                "https://www.Example.com/path",
                "acme.io",
                "nobody.org",
                "dup.com",
                "example.com",
            ],
            "date": ["2026-06-30"] * 6,
            "topic": ["ERP"] * 6,
            "score": [70] * 6,
        }
    )
    placed = place_signals(signals, ids, domains)
    # A known id wins over the domain; nobody.org is unknown and two accounts share dup.com.
    assert placed.tolist() == [1, 1, 2, pd.NA, pd.NA, 2]
    assert int(placed.isna().sum()) == 2  # the unmatched, counted


def signal(account_id, day, topic, score):
    return {"account_id": account_id, "date": day, "topic": topic, "score": score}


SIGNALS = [
    signal(1, "2026-06-17", "ERP", 70),  # T-13: in
    signal(1, "2026-06-30", "security", 65),
    signal(1, "2026-06-16", "CRM", 90),  # T-14: out
    signal(1, "2026-06-20", "ERP", 50),
    signal(1, "2026-07-01", "CRM", 99),  # after T
    signal(2, "2026-06-25", "CRM", 59),  # below the surge score
    signal(3, "2026-06-29", "CRM", 80),
    signal(4, "2026-06-29", "CRM", 80),
]


def test_intent_score_and_surging_topics_over_the_window():
    ds = dataset(intent_signals=SIGNALS)
    out = intent_by_account(ds.intent_signals, pd.Index([1, 2, 6]), T, Params())
    assert out["intent_score"].tolist()[:2] == [70, 59] and pd.isna(out["intent_score"][6])
    assert out["surging_topics"].tolist() == [["ERP", "security"], [], []]
    assert out["surging"].tolist() == [True, False, False]
    two = intent_by_account(ds.intent_signals, pd.Index([1]), T, Params(intent_min_topics=3))
    assert two["surging"].tolist() == [False]


def test_surge_and_add_rules_and_the_funnels_surging_count():
    ds = dataset(intent_signals=SIGNALS)
    m = account_metrics(ds, T, Params())
    assert "surge" in m.loc[1, "agenda"]  # tier 1, surging, nobody engaged (coverage 0)
    assert "add" in m.loc[3, "agenda"]  # off the list, fit 4, surging
    assert "add" not in m.loc[4, "agenda"]  # fit 2
    assert not any("surge" in a or "add" in a for a in m.loc[[2, 5, 6], "agenda"])
    assert funnel(ds, T, Params(), metrics=m)["intent_surging"] == 1


# --- movement and trend ----------------------------------------------------------------------------------


def touch(account_id, day):
    return {"account_id": account_id, "contact_id": None, "occurred_at": day, "intent": "light"}


def test_movement_and_a_13_week_trend_on_a_small_history():
    """1: touched on T-5 (target → reached); 2: touched on 2026-03-10 (reached on S, 112 days ago on T:
    target); 6: never (target); 3 is not a target (left out)."""
    ds = dataset(
        opportunities=[],
        engagements=[touch(1, "2026-06-25"), touch(2, "2026-03-10"), touch(3, "2026-06-29")],
    )
    ids = pd.Index([1, 2, 6])
    now = stages_as_of(ds, T)
    moved = movement(stages_as_of(ds, pd.Timestamp("2026-06-02")), now, ids)
    assert moved == {"progressed": [1], "regressed": [2], "unchanged": [6]}
    assert trend_dates(T)[0] == pd.Timestamp("2026-04-07") and len(trend_dates(T)) == 13
    counts = [t["stage_counts"] for t in trend(ds, T, ids, now=now)]
    # account 2 is reached while its touch is under 90 days old: the week ends up to T-28 (2026-06-02)
    assert [c["reached"] for c in counts] == [1] * 9 + [0, 0, 0, 1]
    assert [c["target"] for c in counts] == [2] * 9 + [3, 3, 3, 2]
    assert stage_counts(now, ids)["customer"] == 0


def test_the_revenue_panel_asks_for_spend_when_it_is_unknown():
    from abm_tui.review.funnel_view import revenue_lines

    unknown = funnel(dataset(spend=[]), T, Params())
    labels = [line.label.strip() for line in revenue_lines(unknown, "EUR", 4)]
    assert "import spend.csv to see CAC and ROI" in labels and "ROI" not in labels
    known = {
        line.label.strip(): line.value for line in revenue_lines(funnel(dataset(), T, Params()), "EUR", 4)
    }
    assert known["CAC"] == "€37k vs –" and known["ROI"] == "47 % vs –" and known["LTV:CAC"] == "1.5× vs –"
    assert known["New customers"] == "1 vs 1" and known["Order frequency"] == "1.5 vs 1"


@pytest.mark.parametrize("days_back", [0, 7, 28, 84, 200])
def test_the_fast_stages_are_account_metrics_stages(demo_engine, days_back):
    """`Stages` (numpy, for 13 week ends at once) gives every demo account the stage `account_metrics`
    gives it, on any day."""
    from abm_tui.metrics.movement import Stages
    from abm_tui.store.repo import load_dataset
    from tests.conftest import DEMO_TODAY

    ds = load_dataset(demo_engine)
    day = pd.Timestamp(DEMO_TODAY) - pd.Timedelta(days=days_back)
    expected = account_metrics(ds, day, Params(), stage_velocity={}, engagement_data=False)["stage_rank"]
    got = Stages(ds, Params()).as_of(day)
    assert got.reindex(expected.index).tolist() == expected.tolist()
    assert set(got) > {0, 1}  # several stages, not a degenerate day
