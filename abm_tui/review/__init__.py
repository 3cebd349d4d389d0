"""The headless review layer between the store/metrics and the UI: what the screens ask for."""
