"""Persistence: SQLModel tables, engine and migrations, repository functions."""
