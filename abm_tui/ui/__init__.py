"""The Textual user interface. Screens ask `abm_tui.review` for data; nothing here runs SQL or metrics."""
