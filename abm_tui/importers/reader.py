"""Read what the user points at — files, folders, any mix of CRMs and the generic format — into one batch.

Every file is recognised on its own (generic name and columns, a user's mapping, HubSpot,
Salesforce); a file nobody recognises gets one message naming its columns and what would make it
recognised, and its rows are counted as skipped. Every row read is entered in the batch's audit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from abm_tui.importers import hubspot, salesforce
from abm_tui.importers.errors import RowError
from abm_tui.importers.formats import (
    DEFAULT_OPTIONS,
    ReadOptions,
    header_of,
    parse_columns,
    parse_rows,
    read_text,
)
from abm_tui.importers.generic import SCHEMA, Batch, add_columns, add_rows
from abm_tui.importers.mapping import (
    KIND_ORDER,
    Context,
    FileMapping,
    UserMapping,
    detect,
    load_mapping,
    plain_id,
    transform,
)
from abm_tui.importers.roles import Rules

Rows = list[tuple[int, dict[str, str]]] | tuple[Path, str]  # a CRM file's rows; a generic file's path
BUILT_IN: tuple[FileMapping, ...] = hubspot.MAPPINGS + salesforce.MAPPINGS


def _files(paths: list[Path], batch: Batch) -> list[Path]:
    """Folders are read file by file (`*.csv`, sorted); a path that does not exist is one error."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                batch.errors.append(RowError(str(path), 0, "-", "the folder holds no .csv files", fatal=True))
            out.extend(found)
        elif path.exists():
            out.append(path)
        else:
            batch.errors.append(RowError(path.name, 0, "-", f"no such file: {path}", fatal=True))
    return out


def _is_generic(name: str, header: list[str]) -> bool:
    required = {c for c, (_, req) in SCHEMA.get(name, {}).items() if req}
    return bool(required) and set(header) >= required


def unrecognised_message(header: list[str], near: list[tuple[FileMapping, list[str]]]) -> str:
    shown = ", ".join(header[:6]) + (f", … ({len(header)} columns)" if len(header) > 6 else "")
    if near:
        m, missing = near[0]
        return f"looks like {m.what} but has no {', '.join(missing)} column (its columns: {shown}); its rows were not imported"
    return (
        f"not recognised (its columns: {shown}); its rows were not imported. abm-tui reads HubSpot and "
        "Salesforce exports and the generic format (README: Your own data); describe other files in a "
        "mapping and pass it with --map"
    )


def read_inputs(
    paths: list[Path],
    *,
    mapping: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    roles: Rules | None = None,
    on_rows: Callable[[int], None] | None = None,
    skip_bad_rows: bool = False,
) -> Batch:
    """Read every file (and every .csv in every folder) given, recognising each from its header."""
    batch = Batch(options=options, roles=roles, on_rows=on_rows, skip_bad_rows=skip_bad_rows)
    user = load_mapping(mapping, SCHEMA) if mapping else UserMapping()
    mappings = user.files + BUILT_IN
    ctx = Context(outcomes=dict(user.outcomes))
    pending: list[tuple[str, FileMapping | None, str, list[str], Rows, ReadOptions]] = []
    for path in _files(paths, batch):
        text, delimiter, file_options = read_text(path, batch.errors, options)
        if text is None:
            continue
        name = path.name if path.name not in batch.audit.read else f"{path.parent.name}/{path.name}"
        header = header_of(text, delimiter)
        if _is_generic(name, header):  # read as columns (see `add_columns`), when its turn comes
            batch.files.append(path)
            batch.audit.rows_read(name, [])  # (files are listed in the order given)
            pending.append((name, None, name, header, (path, delimiter), file_options))
            continue
        header, raw_rows = parse_rows(name, text, delimiter, batch.errors)
        if not header:
            continue
        batch.files.append(path)
        batch.audit.rows_read(name, [line for line, _ in raw_rows])
        m, near = detect(header, mappings, file_name=name, rows=raw_rows)
        if m is None:
            batch.warnings.append(RowError(name, 1, "-", unrecognised_message(header, near)))
            batch.unrecognised.append(name)
            for line, _ in raw_rows:
                batch.audit.mark(name, line, "skipped", "file not recognised")
            continue
        if m.skip_bad_rows:
            batch.skip_bad_files.add(name)
        pending.append((m.kind, m, name, header, raw_rows, file_options))
    pending.sort(key=lambda p: KIND_ORDER.index(p[0]))
    contact_roles: dict[str, str] = {}
    role_lines: list[tuple[str, int, str]] = []
    for kind, m, name, header, read, file_options in pending:
        if isinstance(read, tuple):  # a generic file: read now, so one file's cells are in memory at a time
            path, delimiter = read
            text = read_text(path, batch.errors, options)[0] or ""
            cols = parse_columns(name, text, delimiter, batch.errors)
            del text
            batch.audit.rows_read(name, cols.lines)
            add_columns(batch, kind, cols, source=name, options=file_options)
            continue
        assert m is not None
        raw_rows = read
        rows, derived = transform(m, name, header, raw_rows, batch, ctx)
        if kind == "contact_roles":
            for line, r in rows:
                if not r.get("buying_role"):
                    batch.audit.mark(name, line, "skipped", "no role given")
                    continue
                contact_roles.setdefault(r.get("contact_id", ""), r["buying_role"])
                role_lines.append((name, line, r.get("contact_id", "")))
            continue
        if kind == "contacts.csv":
            for _line, r in rows:
                if not r.get("buying_role") and r.get("contact_id") in contact_roles:
                    r["buying_role"] = contact_roles[r["contact_id"]]
        their = m.source_columns(header)
        present = {c for c, theirs in their.items() if theirs in header} | set(m.constants)
        present |= {k for _, r in rows for k in r}  # and what was derived: names, outcomes, ids, amounts
        add_rows(
            batch,
            kind,
            sorted(present),
            rows,
            source=name,
            column_names=their,
            options=file_options,
            lenient=True,
        )
        _add_derived(batch, name, derived, file_options)
    contacts = batch.seen.get("contacts.csv", {})
    for name, line, contact in role_lines:
        if contact in contacts:
            batch.audit.mark(name, line, "merged", "role given to its contact")
        else:
            batch.audit.mark(name, line, "skipped", "contact not in this import", plain_id(contact))
    batch.unknown_stages.update(ctx.unknown_stages)
    return batch


def _add_derived(
    batch: Batch, name: str, derived: list[tuple[str, int, dict[str, str]]], options: ReadOptions
) -> None:
    """Companies a deals file names, and its stage history, as rows of their own kinds."""
    known = batch.seen.get("accounts.csv", {})
    companies: dict[str, tuple[int, dict[str, str]]] = {}
    history: list[tuple[int, dict[str, str]]] = []
    for kind, line, row in derived:
        if kind == "accounts.csv" and row["account_id"] not in known:
            companies.setdefault(row["account_id"], (line, row))
        elif kind == "stage_changes.csv":
            history.append((line, row))
    if companies:
        rows = list(companies.values())
        add_rows(
            batch,
            "accounts.csv",
            ["account_id", "hubspot_id", "name"],
            rows,
            source=name,
            options=options,
            lenient=True,
            derived=True,
        )
    if history:
        add_rows(
            batch,
            "stage_changes.csv",
            ["entered_at", "opportunity_id", "stage"],
            history,
            source=name,
            column_names={"entered_at": "Date entered", "opportunity_id": "Record ID"},
            options=options,
            lenient=True,
            derived=True,
        )


def count_rows(paths: list[Path]) -> int:
    """Data lines in the CSV files to import (cheap: newlines only), for the progress bar."""
    files = [
        f for p in paths for f in ([p] if p.is_file() else sorted(p.glob("*.csv")) if p.is_dir() else [])
    ]
    total = 0
    for f in files:
        with f.open("rb") as fh:
            total += max(0, sum(chunk.count(b"\n") for chunk in iter(partial(fh.read, 1 << 20), b"")) - 1)
    return total
