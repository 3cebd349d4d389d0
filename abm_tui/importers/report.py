"""An import's outcome in words, the same on the command line and in the import dialog.

Grouped, never row by row: each reason once with its count and up to three example lines, so a
file with 655 rows of one kind of problem reads as one paragraph. The audit CSV has every row.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.importers.errors import RowError

if TYPE_CHECKING:
    from abm_tui.importers.audit import ImportSummary

EXAMPLES = 3
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d.,:/ -]*")


def audit_path(db_path: Path | None, data_dir: Path, now: datetime | None = None) -> Path:
    """`import-audit-<date>-<time>.csv` beside the SQLite file (or in the data folder)."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    folder = db_path.parent if db_path is not None else data_dir
    path, n = folder / f"import-audit-{stamp}.csv", 1
    while path.exists():  # two imports in one second keep both audits
        n += 1
        path = folder / f"import-audit-{stamp}-{n}.csv"
    return path


def rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _lines(examples: list[tuple[int, str]], total: int) -> str:
    shown = ", ".join(f"{line}" + (f" ({detail})" if detail else "") for line, detail in examples[:EXAMPLES])
    return (
        ("line " if total == 1 else "lines ")
        + shown
        + (f", … {total - EXAMPLES:,} more" if total > EXAMPLES else "")
    )


def outcome_lines(summary: ImportSummary) -> list[str]:
    """Per file: rows read and what became of them; then skipped and merged rows by reason."""
    out = list(summary.lines())
    groups = summary.audit.groups(("skipped", "merged"))
    if groups:
        out.append("")
        out.append("Skipped and merged rows, by reason (normal in CRM exports; every row is in the audit):")
        for g in groups:
            out.append(f"  {g.file}: {len(g.lines):,} {g.status} — {g.reason}")
            out.append(f"      {_lines(g.lines, len(g.lines))}")
    if summary.unrecognised:
        dependants = _dependants(summary)
        if dependants:
            out.append("")
            out.append(
                f"{', '.join(summary.unrecognised)} not recognised: rows of {', '.join(dependants)} whose "
                "company is missing may belong to it."
            )
    if summary.unknown_stages:
        out.append("")
        out.append("Stage labels no flag column or known word explains, imported as open stages:")
        for (file, label), n in sorted(summary.unknown_stages.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {label!r}: {n:,} row(s) in {file}")
        out.append(
            "  (abm-tui import --write-map FILE writes a mapping of these labels to edit, then pass it with --map)"
        )
    if summary.notes:
        out.append("")
        out.extend(summary.notes)
    return out


def _dependants(summary: ImportSummary) -> list[str]:
    """Files with rows skipped because their company is in no file that was read."""
    found = []
    for g in summary.audit.groups(("skipped",)):
        if g.reason.startswith("its company is not") and g.file not in found:
            found.append(g.file)
    return found


def warning_lines(warnings: list[RowError], shown: int = EXAMPLES) -> list[str]:
    """Warnings by file, column and kind of reason: the first few in full, then a count."""
    return _grouped(warnings, "warning: ", shown)


def error_lines(errors: list[RowError], shown: int = EXAMPLES) -> list[str]:
    """Problems by file, column and kind of reason, each kind with its count and a few examples."""
    return _grouped(errors, "", shown)


def _grouped(items: list[RowError], prefix: str, shown: int) -> list[str]:
    kinds: dict[tuple[str, str, str], list[RowError]] = {}
    for e in sorted(items):
        kinds.setdefault((e.file, e.column, _QUOTED.sub("…", e.reason)), []).append(e)
    out = []
    for (file, column, _), group in kinds.items():
        if len(group) == 1:
            out.append(f"{prefix}{group[0]}")
            continue
        out.append(f"{prefix}{file}: {column}: {len(group):,} rows, for example:")
        out.extend(f"    {e}" for e in group[:shown])
    return out


def rejected_lines(errors: list[RowError]) -> list[str]:
    """What a rejected run says last: how many problems, where, and the way on."""
    bad_rows = len({(e.file, e.line) for e in errors if not e.fatal})
    files = len({e.file for e in errors if e.fatal})
    where = " and ".join(
        p for p in (f"{files:,} file(s)" if files else "", f"{bad_rows:,} row(s)" if bad_rows else "") if p
    )
    way = (
        "fix the file(s) named above"
        if files
        else "fix them, or import the other rows with --skip-bad-rows (the audit lists the skipped ones)"
    )
    return [f"Import rejected: {len(errors):,} problem(s) in {where}; nothing was written. To go on, {way}."]
