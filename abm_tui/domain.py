"""The fixed vocabularies of DESIGN §2, shared by the store, the metrics and the importers."""

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
