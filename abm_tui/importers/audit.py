"""The account of an import: what became of every row read, in the user's own file names.

Each row read gets exactly one status: created, updated, unchanged, merged (folded into another
row or record), skipped (normal in CRM data: a deal without a company) or error (a bad row).
`rows read = created + updated + unchanged + merged + skipped + error` per file, which the
tests check on every sample; the CLI prints it grouped by reason and writes it as a CSV.
"""

from __future__ import annotations

import csv
import io
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from abm_tui.importers.errors import RowError
from abm_tui.importers.values import neutralise

STATUSES = ("created", "updated", "unchanged", "merged", "skipped", "error")


@dataclass
class Mark:
    """Why a row has its status (the status itself is kept as a code per row: see `Audit`)."""

    reason: str = ""  # the same words for every row it applies to (they are grouped by it)
    detail: str = ""  # what is particular to this row (an id, a value)
    notes: list[str] = field(default_factory=list)  # warnings on a row that was still imported

    def text(self) -> str:
        parts = [f"{self.reason}: {self.detail}" if self.detail else self.reason, *self.notes]
        return "; ".join(p for p in parts if p)


NO_MARK = Mark()  # read only: rows with nothing to say


@dataclass
class Group:
    """Rows of one file with the same status and reason."""

    file: str
    status: str
    reason: str
    lines: list[tuple[int, str]]  # (line, detail), in file order


CODE = {status: i for i, status in enumerate(STATUSES, start=1)}
_NAMES = ("unaccounted", *STATUSES)  # by code


@dataclass
class Audit:
    """Every row read, by (file, line), and what became of it.

    Kept compact (a status byte per row; reasons only where a row has one) because an import
    of 100,000 accounts reads well over a million rows.
    """

    read: dict[str, array] = field(default_factory=dict)  # file → the lines its rows start on, ascending
    codes: dict[str, bytearray] = field(default_factory=dict)  # file → a status code per row (0: none yet)
    marks: dict[tuple[str, int], Mark] = field(default_factory=dict)  # rows with a reason or a note
    derived: Counter = field(default_factory=Counter)  # (file, what) → things made from its rows
    file_problems: list[tuple[str, int, str]] = field(
        default_factory=list
    )  # (file, line, reason) of a whole file

    def rows_read(self, file: str, lines: Sequence[int] | np.ndarray) -> None:
        if isinstance(lines, np.ndarray):
            self.read.setdefault(file, array("i")).frombytes(lines.astype(np.int32).tobytes())
        else:
            self.read.setdefault(file, array("i")).extend(lines)
        self.codes.setdefault(file, bytearray()).extend(bytes(len(lines)))

    def absorb(self, other: Audit) -> None:
        """Take in the account of files read apart (each listed here already, without its rows)."""
        for file, lines in other.read.items():
            self.read.setdefault(file, array("i")).extend(lines)
            self.codes.setdefault(file, bytearray()).extend(other.codes[file])
        self.marks.update(other.marks)
        self.derived.update(other.derived)
        self.file_problems.extend(other.file_problems)

    def drop(self, file: str) -> None:
        """A file listed before it was read that turned out unreadable: it has no rows."""
        self.read.pop(file, None)
        self.codes.pop(file, None)

    def _index(self, file: str, line: int) -> int | None:
        lines = self.read.get(file)
        if lines is None:
            return None
        i = bisect_left(lines, line)
        return i if i < len(lines) and lines[i] == line else None

    def mark(self, file: str, line: int, status: str, reason: str = "", detail: str = "") -> None:
        """The first mark of a row is what happened to it; later ones are ignored."""
        i = self._index(file, line)
        if i is None or self.codes[file][i]:
            return
        self.codes[file][i] = CODE[status]
        if reason or detail:
            mark = self.marks.setdefault((file, line), Mark())
            mark.reason, mark.detail = reason, detail

    def mark_many(
        self, file: str, lines: np.ndarray, status: str, reason: str = "", detail: str = ""
    ) -> None:
        """`mark` for many rows of one file at once (the lines ascending, as read)."""
        read = self.read.get(file)
        if read is None or not len(lines):
            return
        known = np.frombuffer(read, dtype=np.int32)
        at = np.searchsorted(known, lines)
        at = at[(at < len(known)) & (known[np.minimum(at, len(known) - 1)] == lines)]
        codes = np.frombuffer(self.codes[file], dtype=np.uint8)
        at = at[codes[at] == 0]
        codes[at] = CODE[status]
        if reason or detail:
            for line in known[at].tolist():
                mark = self.marks.setdefault((file, line), Mark())
                mark.reason, mark.detail = reason, detail

    def note(self, file: str, line: int, text: str) -> None:
        """A warning on a row that was still imported."""
        i = self._index(file, line)
        if i is None:
            return
        mark = self.marks.setdefault((file, line), Mark())
        if text not in mark.notes:
            mark.notes.append(text)

    def status(self, file: str, line: int) -> str | None:
        i = self._index(file, line)
        return STATUSES[self.codes[file][i] - 1] if i is not None and self.codes[file][i] else None

    def rows(self, file: str) -> Iterator[tuple[int, str, Mark]]:
        """(line, status, why) of every row of a file; a row never marked is 'unaccounted' (a bug, tested)."""
        for line, code in zip(self.read[file], self.codes[file]):
            yield line, STATUSES[code - 1] if code else "unaccounted", self.marks.get((file, line), NO_MARK)

    def counts(self) -> dict[str, Counter]:
        out = {}
        for file, codes in self.codes.items():
            tally = np.bincount(np.frombuffer(codes, dtype=np.uint8), minlength=len(STATUSES) + 1)
            out[file] = Counter({_NAMES[c]: int(n) for c, n in enumerate(tally) if n})
        return out

    def unaccounted(self) -> list[tuple[str, int]]:
        return [(f, line) for f in self.read for line, code in zip(self.read[f], self.codes[f]) if not code]

    def groups(self, statuses: tuple[str, ...] = ("error", "skipped", "merged")) -> list[Group]:
        """Rows by file, status and reason, largest groups first within a file."""
        found: dict[tuple[str, str, str], Group] = {}
        wanted = np.array([CODE[s] for s in statuses if s in CODE], dtype=np.uint8)
        for file in self.read:
            codes = np.frombuffer(self.codes[file], dtype=np.uint8)
            lines = np.frombuffer(self.read[file], dtype=np.int32)
            for i in np.flatnonzero(np.isin(codes, wanted)).tolist():  # (most rows: none of these)
                line, status = int(lines[i]), STATUSES[codes[i] - 1]
                mark = self.marks.get((file, line), NO_MARK)
                key = (file, status, mark.reason)
                group = found.setdefault(key, Group(file, status, mark.reason, []))
                group.lines.append((line, mark.detail))
        order = {f: i for i, f in enumerate(self.read)}
        return sorted(
            found.values(),
            key=lambda g: (order[g.file], statuses.index(g.status), -len(g.lines), g.reason),
        )

    def write_csv(self, path: Path) -> None:
        """One row per row read: file, line, status, reason (what it says on screen)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["file", "line", "status", "reason"])
            for file, line, reason in self.file_problems:
                out.writerow([neutralise(file), line, "error", neutralise(reason)])
            for file in self.read:
                fh.write("".join(self._csv_rows(file)))

    def _csv_rows(self, file: str) -> list[str]:
        """The audit's CSV rows of one file. Most rows have no mark: a run of rows with the same
        status is written by one join (a tuple per row took a second for two million)."""
        text = io.StringIO()
        csv.writer(text).writerow([neutralise(file), 0, "", ""])
        prefix = text.getvalue().rsplit(",0,,", 1)[0] + ","
        lines = np.frombuffer(self.read[file], dtype=np.int32)
        codes = np.frombuffer(self.codes[file], dtype=np.uint8)
        marked = sorted((line, mark) for (f, line), mark in self.marks.items() if f == file)
        at = np.searchsorted(lines, [line for line, _ in marked]).tolist()
        notes = {
            i: mark for i, (line, mark) in zip(at, marked, strict=True) if i < len(lines) and lines[i] == line
        }
        cuts = {0, len(lines), *(np.flatnonzero(np.diff(codes)) + 1).tolist()}
        cuts |= set(notes) | {i + 1 for i in notes}
        out = []
        bounds = sorted(cuts)
        for start, end in pairwise(bounds):
            status = _NAMES[codes[start]]
            if start in notes:
                text = io.StringIO()
                csv.writer(text).writerow(
                    [neutralise(file), int(lines[start]), status, neutralise(notes[start].text())]
                )
                out.append(text.getvalue())
            else:
                end_of_row = f",{status},\r\n"
                out.append(
                    prefix + (end_of_row + prefix).join(map(str, lines[start:end].tolist())) + end_of_row
                )
        return out


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do): the audit of every row, and warnings."""

    audit: Audit = field(default_factory=Audit)
    warnings: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts about the run ("3 companies created from …")
    unknown_stages: Counter = field(default_factory=Counter)  # (file, label) → rows imported as open
    unrecognised: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, Counter]:
        """file → status → rows (created, updated, unchanged, merged, skipped, error)."""
        return self.audit.counts()

    def lines(self) -> list[str]:
        """One line per file: rows read and what became of them."""
        verb = " (would be)" if self.dry_run else ""
        out = []
        for file, c in self.counts.items():
            parts = [f"{c[k]:,} {k}" for k in (*STATUSES, "unaccounted") if c[k]]
            total = sum(c.values())
            read = f"{total:,} row{'' if total == 1 else 's'} read"
            out.append(f"{file}: {read}: {', '.join(parts) or 'none'}{verb if parts else ''}")
        for (file, what), n in self.audit.derived.items():
            out.append(f"{file}: {n:,} {what}{verb}")
        return out
