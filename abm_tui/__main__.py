from abm_tui.cli import main

if __name__ == "__main__":  # (not when a process the import starts loads this module again)
    raise SystemExit(main())
