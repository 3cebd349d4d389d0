"""Row-level problems reported as `file:line: column: reason`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class RowError:
    """One rejected cell or row."""

    file: str
    line: int
    column: str
    reason: str
    # A problem with the whole file (unreadable, a required column missing): --skip-bad-rows cannot skip it.
    fatal: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


class ImportFailed(Exception):
    """The import was rejected; nothing was written."""

    def __init__(self, errors: list[RowError], summary: Any = None):
        self.errors = sorted(errors)
        self.summary = summary  # the ImportSummary (audit) of what the run would have done
        super().__init__(f"{len(errors)} problem(s)")
