"""The fixed vocabularies of DESIGN §2 and the tunable numbers of §3, shared by the store, the metrics,
the importers and the screens. Plain Python: the first screen imports this without pandas."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from typing import Any

BUYING_ROLES = (
    "decision_maker",
    "budget_holder",
    "influencer",
    "champion",
    "technical",
    "procurement",
    "legal",
    "other",
)
INTENTS = ("strategic", "mid", "light")
OUTCOMES = ("open", "won", "lost")
SOURCES = ("marketing", "sales", "partner")
DECISION_KINDS = ("retier", "drop", "restore", "target", "note", "follow_up")

STAGES = ("target", "reached", "engaged", "mqa", "opportunity", "customer")  # the journey, in order


@dataclass(frozen=True)
class Params:
    """Tunable numbers, kept in the Setting table under the same names."""

    window_days: int = 90
    period_days: int = 365
    influence_days: int = 90
    sales_target_quarter: float | None = None
    engaged_score: int = 40
    mqa_score: int = 60
    mqa_coverage: float = 0.5
    promote_score: int = 70
    demote_score: int = 20
    demote_quiet_days: int = 60
    poor_fit_max: int = 2
    tier1_capacity: int = 50

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> Params:
        """Read known keys from the Setting table's strings; other keys are ignored here."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = settings.get(f.name)
            if raw is None or str(raw).strip() == "":
                continue
            values[f.name] = float(raw) if f.type in ("float", "float | None") else int(float(raw))
        return cls(**values)

    def key(self) -> str:
        """A fingerprint of the values: stored metrics computed with other values are stale."""
        return repr(astuple(self))


DEFAULT_PARAMS = Params()


def local_time(utc: datetime) -> datetime:
    """Times are stored as naive UTC; screens and minutes show them in the laptop's time zone."""
    return utc.replace(tzinfo=UTC).astimezone()
