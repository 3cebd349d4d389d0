"""Exporters: metrics as JSON and tables, target lists, minutes."""
