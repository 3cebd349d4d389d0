"""A small mutation check: apply deliberate one-line bugs, run the tests that should catch each, and
list the ones that survive. Run with `make mutate` (not in CI: it runs the tests dozens of times).

Each mutation replaces one exact snippet (which must occur once) in one file; the file is restored
whatever happens. A mutation "survives" when its tests still pass: then a test is missing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRICS = [
    "tests/unit/test_metrics_accounts.py",
    "tests/unit/test_metrics_funnel.py",
    "tests/unit/test_metrics_agenda.py",
]
DECISIONS = ["tests/unit/test_decisions.py", "-k", "not postgresql"]
IMPORTS = ["tests/unit/test_import_generic.py", "tests/unit/test_import_crm.py", "-k", "not postgresql"]

# (file, snippet, mutated snippet, tests)
MUTATIONS: list[tuple[str, str, str, list[str]]] = [
    # --- the metric engine (DESIGN §3) ---
    (
        "abm_tui/metrics/accounts.py",
        'e["occurred_at"] > T - pd.Timedelta(days=days)',
        'e["occurred_at"] >= T - pd.Timedelta(days=days)',
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        'out["active_stakeholders"] / 5)',
        'out["active_stakeholders"] / 4)',
        METRICS,
    ),
    ("abm_tui/metrics/accounts.py", 'out["intent_points"] / 30)', 'out["intent_points"] / 20)', METRICS),
    (
        "abm_tui/metrics/accounts.py",
        "(0.5 ** (days_last_window / 30))",
        "(0.5 ** (days_last_window / 31))",
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        'raw = 40 * out["breadth"] + 30 * out["depth"]',
        'raw = 30 * out["breadth"] + 40 * out["depth"]',
        METRICS,
    ),
    ("abm_tui/metrics/accounts.py", "math.floor(round(x, 9) + 0.5)", "round(x)", METRICS),
    (
        "abm_tui/metrics/accounts.py",
        'req["contacts"] < req["min_contacts"]',
        'req["contacts"] <= req["min_contacts"]',
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        'GAP_SEVERITY = {"missing": 0, "thin": 1, "silent": 2',
        'GAP_SEVERITY = {"missing": 0, "thin": 2, "silent": 1',
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        "key=lambda kv: GAP_SEVERITY[kv[1]])",
        "key=lambda kv: (GAP_SEVERITY[kv[1]], kv[0]))",
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        '(out["days_since_last"] < params.window_days)',
        '(out["days_since_last"] <= params.window_days)',
        METRICS,
    ),
    ("abm_tui/metrics/accounts.py", "(bgc >= params.mqa_coverage)", "(bgc > params.mqa_coverage)", METRICS),
    (
        "abm_tui/metrics/accounts.py",
        "(score >= params.promote_score)) | has_open_tier3",
        "(score > params.promote_score)) | has_open_tier3",
        METRICS,
    ),
    (
        "abm_tui/metrics/accounts.py",
        "(score < params.demote_score) & quiet",
        "(score <= params.demote_score) & quiet",
        METRICS,
    ),
    ("abm_tui/metrics/accounts.py", '(acc["churned_at"] <= T)', '(acc["churned_at"] < T)', METRICS),
    (
        "abm_tui/metrics/funnel.py",
        '(targets["days_since_last"] < params.window_days)',
        '(targets["days_since_last"] <= params.window_days)',
        METRICS,
    ),
    (
        "abm_tui/metrics/funnel.py",
        "T - pd.Timedelta(days=params.period_days - 1)",
        "T - pd.Timedelta(days=params.period_days)",
        METRICS,
    ),
    (
        "abm_tui/metrics/funnel.py",
        'closed_in_period &= opps["close_date"] <= T',
        'closed_in_period &= opps["close_date"] < T',
        METRICS,
    ),
    ("abm_tui/metrics/funnel.py", "(lag >= 0) & (lag < days)", "(lag >= 0) & (lag <= days)", METRICS),
    (
        "abm_tui/metrics/funnel.py",
        'opps["is_won"] & (opps["close_date"] < start)',
        'opps["is_won"] & (opps["close_date"] <= start)',
        METRICS,
    ),
    (
        "abm_tui/metrics/funnel.py",
        "return None if not den else float(num) / float(den)",
        "return 0.0 if not den else float(num) / float(den)",
        METRICS,
    ),
    # --- decisions (append-only log, undo, versions) ---
    (
        "abm_tui/store/decisions.py",
        ".where(t.c.id == account.id, t.c.version == version)",
        ".where(t.c.id == account.id)",
        DECISIONS,
    ),
    (
        "abm_tui/store/decisions.py",
        'back = {"tier": last.from_tier, "is_target": last.kind == "retier"}',
        'back = {"tier": last.from_tier, "is_target": True}',
        DECISIONS,
    ),
    ("abm_tui/store/decisions.py", "    d.undoes_id = last.id\n", "", DECISIONS),
    (
        "abm_tui/store/decisions.py",
        'kind = "retier" if account.is_target else "target"\n    from_tier = account.tier',
        'kind = "retier"\n    from_tier = account.tier',
        DECISIONS,
    ),
    (
        "abm_tui/store/decisions.py",
        'if account.status == "dropped" or (account.is_target and account.tier == tier):',
        "if account.is_target and account.tier == tier:",
        ["tests/unit/test_decisions.py", "tests/ui/test_day_one.py", "-k", "not postgresql"],
    ),
    # --- import ---
    ("abm_tui/importers/generic.py", "if ident in seen:", "if False:", IMPORTS),
    (
        "abm_tui/store/imports.py",
        "if errors:\n                raise ImportFailed(errors, summary)",
        "if False:\n                raise ImportFailed(errors, summary)",
        IMPORTS,
    ),
    (
        "abm_tui/store/imports.py",
        "    if dry_run:\n            trans.rollback()",
        "    if False:\n            trans.rollback()",
        IMPORTS,
    ),
    (
        "abm_tui/importers/hubspot.py",
        '            return "won" if won else "lost"',
        '            return "won" if closed else "lost"',
        IMPORTS,
    ),
    (
        "abm_tui/importers/mapping.py",
        'WON_WORDS = {"won", "closedwon", "gewonnen"',
        'WON_WORDS = {"won", "closedwon"',
        IMPORTS,
    ),
    (
        "abm_tui/store/imports.py",
        "if target_id is None and domain and unmatched_domains[domain] == 1 and domain in owner:",
        "if target_id is None and domain and domain in owner:",
        IMPORTS,
    ),
    (
        "abm_tui/importers/formats.py",
        "            start, line = line + 1, reader.line_num",
        "            start, line = reader.line_num, reader.line_num",
        IMPORTS,
    ),
]


def run_tests(args: list[str]) -> bool:
    """True when the tests pass (the mutation survived)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 0


def main() -> int:
    survivors = []
    started = time.monotonic()
    for n, (file, old, new, tests) in enumerate(MUTATIONS, start=1):
        path = ROOT / file
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            print(f"{n:2}. {file}: the snippet occurs {text.count(old)} times — fix the list", flush=True)
            survivors.append((file, old))
            continue
        try:
            path.write_text(text.replace(old, new), encoding="utf-8")
            survived = run_tests(tests)
        finally:
            path.write_text(text, encoding="utf-8")
        print(f"{n:2}. {'SURVIVED' if survived else 'killed  '}  {file}: {old.strip()[:70]!r}", flush=True)
        if survived:
            survivors.append((file, old))
    print(f"\n{len(MUTATIONS)} mutations, {len(survivors)} survived ({time.monotonic() - started:.0f} s)")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
