"""Parsers for single CSV cells; each returns a value or raises ValueError with a reason."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from abm_tui.domain import host

BUYING_ROLE_SYNONYMS = {
    # HubSpot's "Buying Role" labels and common spellings → our fixed vocabulary.
    "decision maker": "decision_maker",
    "executive sponsor": "decision_maker",
    "budget holder": "budget_holder",
    "influencer": "influencer",
    "champion": "champion",
    "end user": "champion",
    "technical": "technical",
    "legal and compliance": "legal",
    "legal": "legal",
    "procurement": "procurement",
    "blocker": "other",
    "other": "other",
}
# Lead / original sources as CRMs name them → who sourced the deal (DESIGN §2: marketing / sales / partner).
MARKETING_SOURCES = (
    "organic search",
    "paid search",
    "email marketing",
    "social media",
    "organic social",
    "paid social",
    "referrals",
    "direct traffic",
    "other campaigns",
    "ai referrals",
    "web",
    "advertisement",
    "seminar - internal",
    "seminar - partner",
    "trade show",
    "purchased list",
    "webinar",
)
SOURCE_VALUES = {
    **{s: "marketing" for s in MARKETING_SOURCES},
    "offline sources": "sales",
    "phone inquiry": "sales",
    "employee referral": "sales",
    "external referral": "sales",
    "partner": "partner",
    "partner referral": "partner",
    "*": "",
}
TRUE = {"true", "yes", "y", "1", "x", "ja", "j", "wahr", "waar", "oui", "si", "sí"}
FALSE = {"false", "no", "n", "0", "nee", "nein", "falsch", "onwaar", "non"}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `@SUM(…)`) gets a leading
    apostrophe, which Excel and LibreOffice show as text (OWASP: CSV injection). Every CSV abm-tui
    writes goes through this; `text` takes the apostrophe off again, so a round trip keeps the value."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def text(raw: str) -> str | None:
    """Trimmed text; the apostrophe `neutralise` put before a formula-like cell comes off again."""
    value = raw.strip()
    if value[:1] == "'" and value[1:2].startswith(FORMULA_START):
        value = value[1:]
    return value or None


def integer(raw: str, lo: int | None = None, hi: int | None = None) -> int | None:
    value = raw.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        if hi is None:
            raise ValueError(f"{value} is below {lo}" if lo else f"{value} is negative")
        if lo is None:
            raise ValueError(f"{value} is above {hi}")
        raise ValueError(f"{value} is outside {lo}–{hi}")
    return int(number)


_GROUPED = re.compile(r"^\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*$")


def integer_like(raw: str, lo: int | None = None) -> int | None:
    """A whole number as Excel may write it: `1200`, `1.200`, `1,200` or `1 200`."""
    value = raw.strip().replace("\u00a0", " ")
    if not value:
        return None
    if _GROUPED.match(value):
        value = re.sub(r"[.,\s]", "", value)
    return integer(value, lo=lo)


TIER_WORDS = re.compile(r"^(?:tier)?[\s_-]*([1-3])$")


def tier(raw: str) -> int | None:
    """`1`, `Tier 1`, `tier_1`, `T1` → 1."""
    value = raw.strip().lower()
    if not value:
        return None
    m = TIER_WORDS.match(value) or re.match(r"^t([1-3])$", value)
    if not m:
        raise ValueError(
            f"{raw.strip()!r} is not a tier (1–3)" if not value.isdigit() else f"{value} is outside 1–3"
        )
    return int(m.group(1))


def bounded(raw: str, lo: float, hi: float) -> float | None:
    """A number from `lo` to `hi` (a score)."""
    value = number(raw)
    if value is not None and not lo <= value <= hi:
        raise ValueError(f"{raw.strip()} is outside {lo:g}–{hi:g}")
    return value


def number(raw: str) -> float | None:
    value = raw.strip()
    if not value:
        return None
    try:
        result = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(result):
        raise ValueError(f"{value!r} is not a number")
    return result


def boolean(raw: str) -> bool | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{raw.strip()!r} is not true or false")


def iso_date(raw: str) -> date | None:
    value = raw.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date() if len(value) > 10 else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def iso_datetime(raw: str) -> datetime | None:
    value = raw.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None


def choice(raw: str, allowed: tuple[str, ...]) -> str | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value not in allowed:
        raise ValueError(f"{raw.strip()!r} is not one of {', '.join(allowed)}")
    return value


def buying_role(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    key = value.lower().replace("_", " ")
    if key in BUYING_ROLE_SYNONYMS:
        return BUYING_ROLE_SYNONYMS[key]
    raise ValueError(f"{value!r} is not a known buying role")


def domain(raw: str) -> str | None:
    """`https://www.Example.com/about` → `example.com` (`domain.host`), checked to look like one."""
    value = host(raw)
    if not value:
        return None
    if " " in value or "." not in value:
        raise ValueError(f"{raw.strip()!r} is not a domain")
    return value
