"""Read what the user points at — files, folders, any mix of CRMs and the generic format — into one batch.

Every file is recognised on its own (generic name and columns, a user's mapping, HubSpot,
Salesforce); a file nobody recognises gets one message naming its columns and what would make it
recognised, and its rows are counted as skipped. Every row read is entered in the batch's audit.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from abm_tui.importers import hubspot, salesforce
from abm_tui.importers.errors import RowError
from abm_tui.importers.formats import (
    DEFAULT_OPTIONS,
    ReadOptions,
    parse_columns,
    parse_rows,
    read_head,
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


class Generic(NamedTuple):
    """A file of the generic format, read when its turn comes."""

    path: Path
    delimiter: str


Rows = list[tuple[int, dict[str, str]]] | Generic  # a CRM file's rows, or a generic file
Pending = tuple[str, FileMapping | None, str, list[str], Rows, ReadOptions]  # a file to read, by kind
# Read by a second process in a lazy import (see `Later`), in this order: all but the accounts, which
# the store writes first, and the deals, which this process reads while the second one still reads
# the touches (the longest to read: 100,000 accounts, 9.5 s instead of 10.0 with the deals there).
AHEAD_KINDS = ("contacts.csv", "engagements.csv", "stage_changes.csv", "intent_signals.csv")
AHEAD_BYTES = 8 << 20  # from this size (some 100,000 of those rows); less, and it costs more than it saves
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
    lazy: bool = False,
) -> Batch:
    """Read every file (and every .csv in every folder) given, recognising each from its header.

    `lazy`: when every file is of the generic format, each is read only when the store first asks
    for its kind (`Batch.ready`), so that one kind is written while the next is read, and the later
    kinds are read by a second process meanwhile (see `Later`); `on_rows` is then not told."""
    batch = Batch(options=options, roles=roles, on_rows=on_rows, skip_bad_rows=skip_bad_rows)
    user = load_mapping(mapping, SCHEMA) if mapping else UserMapping()
    mappings = user.files + BUILT_IN
    ctx = Context(outcomes=dict(user.outcomes))
    pending: list[Pending] = []
    for path in _files(paths, batch):
        name = path.name if path.name not in batch.audit.read else f"{path.parent.name}/{path.name}"
        # A file of the generic format is known by its name and header, and read whole when its
        # turn comes (if it does not decode after all, it is dropped then, with the reason).
        head = read_head(path, options) if name in SCHEMA else None
        if head is not None and _is_generic(name, head[0]):  # read as columns (see `add_columns`)
            header, delimiter, file_options = head
            batch.files.append(path)
            batch.audit.rows_read(name, [])  # (files are listed in the order given)
            pending.append((name, None, name, header, Generic(path, delimiter), file_options))
            continue
        text, delimiter, file_options = read_text(path, batch.errors, options)
        if text is None:
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
    if lazy and all(isinstance(p[4], Generic) for p in pending):
        batch.on_rows = None
        batch.later = Later(pending, batch)
        return batch
    _read_pending(batch, pending, ctx)
    return batch


def _read_pending(batch: Batch, pending: list[Pending], ctx: Context) -> None:
    contact_roles: dict[str, str] = {}
    role_lines: list[tuple[str, int, str]] = []
    for kind, m, name, header, read, file_options in pending:
        if isinstance(read, Generic):  # read now, so one file's cells are in memory at a time
            _read_generic(batch, kind, name, read, file_options)
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


def _read_generic(batch: Batch, kind: str, name: str, file: Generic, options: ReadOptions) -> None:
    """A file of the generic format, read as columns (`options`: those that fit the file)."""
    text = read_text(file.path, batch.errors, batch.options)[0]
    if text is None:  # (the reason is in the errors)
        batch.audit.drop(name)
        return
    cols = parse_columns(name, text, file.delimiter, batch.errors)
    del text
    batch.audit.rows_read(name, cols.lines)
    add_columns(batch, kind, cols, source=name, options=options)


def _read_apart(template: Batch, kind: str, name: str, file: Generic, options: ReadOptions) -> Batch:
    """A generic file read into a batch of its own (in either process), its content keys made."""
    batch = Batch(options=template.options, roles=template.roles, skip_bad_rows=template.skip_bad_rows)
    batch.audit.rows_read(name, [])
    _read_generic(batch, kind, name, file, options)
    if kind in batch.parts:
        batch.frame(kind)
    return batch


def _second_process() -> bool:
    """Whether a second process may read: forked, so only from a process without other threads (the
    CLI's; not the app's, whose import runs in a thread: a fork server there cannot even start
    under the terminal driver)."""
    return threading.active_count() == 1


def _read_ahead(
    line: Connection,
    other_end: Connection,
    folder: str,
    template: Batch,
    files: list[tuple[str, str, Generic, ReadOptions]],
) -> None:
    """The second process: each file read in turn and left, pickled, in `folder`, and the parent told
    where (or the exception that stopped it): it never waits for the parent to take one. Then it waits
    for the parent to hang up (done, stopped or killed) and removes the folder with what is left."""
    other_end.close()  # (forked with it: else the line would never hang up)
    try:
        for i, (kind, name, file, options) in enumerate(files):
            try:
                read = _read_apart(template, kind, name, file, options)
                path = Path(folder) / f"{i}.pickle"
                with path.open("wb") as fh:
                    pickle.dump(read, fh, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # told as it is: the parent raises it at the file's turn
                line.send((kind, exc))
                break
            line.send((kind, str(path)))
        line.recv()  # (the parent sends nothing: this returns when it hangs up)
    except (EOFError, OSError):  # it hung up, or is gone
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        line.close()


class Later:
    """The generic files of a lazily read batch (`read_inputs(lazy=True)`), each read when the store
    first asks for its kind. Contacts, touches, stage changes and signals (`AHEAD_KINDS`: most of an
    export's rows) are read by a second process from the start, while the store writes, and taken
    in when their turn comes; the deals are read here, while the second process reads the touches
    and the store waits for them anyway. Each file is read into a batch of its own (as it would be
    read at once: one file per generic kind, and no kind's reading depends on another's); its errors
    and warnings are put in the order of a batch read at once when all is read (tested equal). If
    there can be no second process, or it dies, the files are read here."""

    def __init__(self, pending: list[Pending], batch: Batch) -> None:
        self.files: dict[str, tuple[str, Generic, ReadOptions]] = {}  # kind → name, file, its options
        for kind, _, name, _, file, options in pending:
            assert isinstance(file, Generic)  # (one file per kind: another has a name of its own)
            self.files[kind] = (name, file, options)
        self.template = Batch(options=batch.options, roles=batch.roles, skip_bad_rows=batch.skip_bad_rows)
        self.told: dict[str, tuple[list[RowError], list[RowError]]] = {}  # kind → errors, warnings
        self.ahead: list[str] = []  # the kinds the second process reads, in order
        self.arrived: dict[str, str | BaseException] = {}  # kind → its pickle, or why it failed
        self.process: multiprocessing.process.BaseProcess | None = None
        self.folder: str | None = None
        self.inbox: Connection | None = None
        ahead = [k for k in AHEAD_KINDS if k in self.files]
        size = sum(self.files[k][1].path.stat().st_size for k in ahead)
        if size < AHEAD_BYTES or len(ahead) == len(self.files) or not _second_process():
            return  # little to read, nothing to write meanwhile, or no second process: all read here
        try:
            self.folder = tempfile.mkdtemp(prefix="abm-tui-import-")
            context = multiprocessing.get_context("fork")
            self.inbox, line = context.Pipe()
            files = [(k, *self.files[k]) for k in ahead]
            self.process = context.Process(
                target=_read_ahead, args=(line, self.inbox, self.folder, self.template, files), daemon=True
            )
            self.process.start()
            line.close()
            self.ahead = ahead
        except (OSError, ValueError):  # no process to be had: all read here
            self.close()

    def ready(self, kind: str, batch: Batch) -> None:
        if kind not in self.files or kind in self.told:
            return
        read = self._take(kind) if kind in self.ahead else None
        if read is None:
            read = _read_apart(self.template, kind, *self.files[kind])
        self.told[kind] = (read.errors, read.warnings)
        read.errors, read.warnings = [], []
        batch.absorb(read)
        if self.files[kind][0] not in read.audit.read:  # it did not decode after all
            batch.audit.drop(self.files[kind][0])

    def _take(self, kind: str) -> Batch | None:
        """The kind's file as the second process read it (None if it died first)."""
        while kind not in self.arrived:
            try:
                assert self.inbox is not None
                done, where = self.inbox.recv()
            except (EOFError, OSError):  # it died (out of memory?): the rest is read here
                self.close()
                return None
            self.arrived[done] = where
        where = self.arrived.pop(kind)
        if isinstance(where, BaseException):
            raise where
        with open(where, "rb") as fh:
            read = pickle.load(fh)
        os.remove(where)
        return read

    def finish(self, batch: Batch) -> None:
        for kind in KIND_ORDER:
            self.ready(kind, batch)
        for kind in KIND_ORDER:
            errors, warnings = self.told.get(kind, ([], []))
            batch.errors.extend(errors)
            batch.warnings.extend(warnings)
        self.close()

    def close(self) -> None:
        """Hang up on the second process (it removes its folder and ends; it is stopped if it is
        still reading: the import stopped) and remove the folder."""
        done = all(k in self.arrived or k in self.told for k in self.ahead)  # (it waits for the hang-up)
        if self.inbox is not None:
            self.inbox.close()
            self.inbox = None
        if self.process is not None:
            self.process.join(timeout=1 if done else 0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        self.ahead = []


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
