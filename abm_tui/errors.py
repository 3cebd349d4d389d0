"""Errors worth one clear sentence to the user (plain Python: the start-up path imports these)."""


class StoreError(Exception):
    """A database problem worth one clear sentence to the user."""


class DecisionError(Exception):
    """A decision that cannot be made, with a sentence for the user."""


class StaleAccount(DecisionError):
    """Someone else changed the account since it was read."""
