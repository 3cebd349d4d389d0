"""Importers: files → validated domain rows → one all-or-nothing transaction."""
