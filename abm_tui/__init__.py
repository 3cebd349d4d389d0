"""abm-tui: review an account-based-marketing target list together, from the keyboard."""

__version__ = "0.1.0"
