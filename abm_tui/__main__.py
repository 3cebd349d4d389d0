from abm_tui.cli import main

raise SystemExit(main())
