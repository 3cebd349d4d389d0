"""Importing from the app: the same reading, checking, audit and words as `abm-tui import`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class ImportResult:
    """What an import (or its preview) did, in lines to show; `ok` is False when nothing was written."""

    ok: bool
    lines: list[str]
    audit: Path | None = None  # where every row's status was written (not on a preview)


def audit_file(engine: Engine) -> Path:
    from abm_tui.config import data_dir, sqlite_file
    from abm_tui.importers.report import audit_path

    return audit_path(sqlite_file(str(engine.url)), data_dir())


def import_files(
    engine: Engine,
    paths: list[Path],
    *,
    dry_run: bool,
    mapping: Path | None = None,
    skip_bad_rows: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import (or preview) files and folders; a real run writes its audit beside the database.
    `progress` is told how far it is, as a line to show ("Writing: 300,000 of 1,985,250 rows…")."""
    from abm_tui.importers import report
    from abm_tui.importers.errors import ImportFailed
    from abm_tui.importers.reader import count_rows, read_inputs
    from abm_tui.store.imports import apply_batch

    total = count_rows(paths) if progress else 0

    def told(phase: str) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda n: progress(f"{phase}: {min(n, total):,} of {total:,} rows…")

    try:
        batch = read_inputs(
            paths, mapping=mapping, skip_bad_rows=skip_bad_rows, on_rows=told("Checking"), lazy=True
        )
        phase = "Checking against the database" if dry_run else "Writing"
        summary = apply_batch(engine, batch, dry_run=dry_run, progress=told(phase))
    except ImportFailed as failed:
        audit = None
        if not dry_run and failed.summary is not None:
            audit = audit_file(engine)
            failed.summary.audit.write_csv(audit)
        return ImportResult(
            False, report.error_lines(failed.errors) + report.rejected_lines(failed.errors), audit
        )
    except (ValueError, OSError) as exc:
        return ImportResult(False, [str(exc)])
    lines = report.outcome_lines(summary) + report.warning_lines(summary.warnings)
    audit = None
    if not dry_run:
        audit = audit_file(engine)
        summary.audit.write_csv(audit)
    return ImportResult(True, lines, audit)
