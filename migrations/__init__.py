"""Alembic migrations (shipped inside the wheel as abm_tui.migrations)."""
