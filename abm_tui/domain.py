"""The fixed vocabularies of DESIGN §2 and the tunable numbers of §3, shared by the store, the metrics,
the importers and the screens. Plain Python: the first screen imports this without pandas."""

from __future__ import annotations

import re
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
    intent_days: int = 14  # intent signals count over the days T-13 … T
    intent_surge_score: int = 60  # a topic surges at this score
    intent_min_topics: int = 1  # an account surges with this many surging topics
    tam_min_fit: int = 4  # TAM counts accounts with at least this ICP fit
    add_min_fit: int = 4  # the `add` rule: accounts off the list with at least this ICP fit …
    add_score: int = 60  # … that surge or score at least this
    surge_coverage: float = 0.5  # the `surge` rule: targets surging below this buying-group coverage
    agenda_size: int = 25  # a meeting's "today": the agenda's first entries (the rest one key away)

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


def host(address: object) -> str | None:
    """A domain or web address as a bare host, the way domains are compared everywhere:
    'https://www.Example.com/path' → 'example.com' (lower case, no scheme, `www.`, port or path)."""
    if not isinstance(address, str):
        return None
    text = address.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    for end in "/?#":
        text = text.split(end, 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if text.startswith("www."):
        text = text[4:]
    return text or None


_BARE_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+").fullmatch


def is_bare_host(value: str) -> bool:
    """Whether `host` gives the text back as it is (the common case: checked by one regular expression)."""
    return _BARE_HOST(value) is not None and value[:4] != "www."


def hosts(values: list[object]) -> list[str | None]:
    """`host` of each value."""
    return [v if type(v) is str and is_bare_host(v) else host(v) for v in values]


def local_time(utc: datetime) -> datetime:
    """Times are stored as naive UTC; screens and minutes show them in the laptop's time zone."""
    return utc.replace(tzinfo=UTC).astimezone()
