"""Building a first target list from a CRM that has no ABM tiers: a rule the pair can read and edit.

Rank the accounts that are not on the list (and not dropped) by ICP fit, then by one size measure,
optionally only within some industries or regions; the first N go to Tier 1, the next to Tier 2 and
Tier 3. Nothing is saved until the pair has seen the counts and names (`ListProposal`).
"""

from __future__ import annotations

from dataclasses import dataclass

THEN_BY = {
    "annual_revenue": "annual revenue",
    "employees": "employees",
    "pipeline": "open pipeline",
}


@dataclass(frozen=True)
class Candidate:
    """An account that could join the list, with what the rule ranks by."""

    id: int
    name: str
    icp_fit: int | None
    annual_revenue: float | None
    employees: int | None
    pipeline: float
    industry: str | None
    region: str | None


@dataclass(frozen=True)
class ListRule:
    """How many accounts each tier takes, ranked by ICP fit and then `then_by` (largest first)."""

    sizes: tuple[int, int, int] = (10, 25, 50)
    then_by: str = "annual_revenue"
    industries: tuple[str, ...] = ()  # any of these words in the industry (empty: every industry)
    regions: tuple[str, ...] = ()

    def words(self) -> str:
        """The rule as a sentence, for the dialog and the decisions' reason."""
        where = []
        if self.industries:
            where.append("industry " + " or ".join(self.industries))
        if self.regions:
            where.append("region " + " or ".join(self.regions))
        within = f" within {' and '.join(where)}" if where else ""
        t1, t2, t3 = self.sizes
        return (
            f"list built by rule: ICP fit, then {THEN_BY[self.then_by]}{within}; "
            f"top {t1} Tier 1, next {t2} Tier 2, next {t3} Tier 3"
        )


@dataclass(frozen=True)
class ListProposal:
    """Who would go to which tier (account id → tier), and the names to show, per tier in rank order."""

    tiers: dict[int, int]
    names: dict[int, list[str]]
    eligible: int  # accounts the rule looked at


def _matches(value: str | None, words: tuple[str, ...]) -> bool:
    if not words:
        return True
    text = (value or "").lower()
    return any(w.strip().lower() in text for w in words if w.strip())


def propose(candidates: list[Candidate], rule: ListRule) -> ListProposal:
    """The tiers the rule gives; ties are broken by name so the same data always gives the same list."""
    pool = [
        c for c in candidates if _matches(c.industry, rule.industries) and _matches(c.region, rule.regions)
    ]

    def rank(c: Candidate) -> tuple:
        size = getattr(c, rule.then_by)
        return (-(c.icp_fit or 0), c.icp_fit is None, -(size or 0), size is None, c.name.lower(), c.id)

    pool.sort(key=rank)
    tiers: dict[int, int] = {}
    names: dict[int, list[str]] = {1: [], 2: [], 3: []}
    start = 0
    for tier, size in zip((1, 2, 3), rule.sizes):
        for c in pool[start : start + max(0, size)]:
            tiers[c.id] = tier
            names[tier].append(c.name)
        start += max(0, size)
    return ListProposal(tiers, names, len(pool))
