"""What a plain `pip install` ships: every package, the migrations, the demo data; no Textual in the core."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "abm_tui").rglob("__init__.py")}
    assert on_disk <= listed, f"missing from [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert config["package-dir"] == {
        "abm_tui.migrations": "migrations",
        "abm_tui.migrations.versions": "migrations/versions",
        "abm_tui.fixtures": "fixtures",
    }


def test_core_imports_without_textual():
    """store, metrics, importers and exporters stay usable from scripts (harlequin's import hygiene)."""
    code = (
        "import sys\n"
        "import abm_tui.store.db, abm_tui.store.imports, abm_tui.store.meetings, abm_tui.metrics, "
        "abm_tui.metrics.changes, abm_tui.importers.generic, abm_tui.exporters.report, abm_tui.exporters.minutes\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_first_screen_path_imports_neither_pandas_nor_sqlalchemy(demo_db):
    """A start reads the stored list metrics through plain sqlite3: pandas and SQLAlchemy are slow to
    import and load in the background once the list is on screen (issue 6, kept by issue 13)."""
    from abm_tui.review.service import ReviewService
    from tests.conftest import DEMO_TODAY

    ReviewService(f"sqlite:///{demo_db}", as_of=DEMO_TODAY).load()  # the stored metrics, current
    code = (
        "import sys\n"
        "from datetime import date\n"
        "import abm_tui.cli, abm_tui.ui.app, abm_tui.ui.screens.targets\n"
        "from abm_tui.review.service import ReviewService\n"
        f"service = ReviewService('sqlite:///{demo_db}', as_of=date.fromisoformat('{DEMO_TODAY}'))\n"
        "snap = service.load()\n"
        "assert len(snap.rows) == 300, len(snap.rows)\n"
        "status = service.status(snap)\n"
        "assert status.title.endswith('demo data'), status.title\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sqlalchemy', 'sqlmodel', 'alembic'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_import_cycles_below_the_ui():
    """A module below the UI never needs one that needs it back (a cycle once ran through service.py)."""
    import grimp

    graph = grimp.build_graph("abm_tui")
    modules = sorted(m for m in graph.modules if not m.startswith("abm_tui.ui") and m != "abm_tui.cli")
    cycles = []
    for i, a in enumerate(modules):
        for b in modules[i + 1 :]:
            if graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a):
                cycles.append((a, b))
    assert cycles == []
