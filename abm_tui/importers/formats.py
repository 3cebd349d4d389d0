"""Files as Excel and CRMs leave them: encodings, delimiters, dates, decimal commas."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

import numpy as np

from abm_tui.importers.errors import RowError

# A valid UTF-8 multi-byte sequence: its presence means a file *is* UTF-8, just broken somewhere.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


@dataclass(frozen=True)
class ReadOptions:
    """Overrides for what is otherwise detected."""

    encoding: str | None = None  # e.g. "utf-8", "cp1252", "latin-1"
    delimiter: str | None = None  # "," ";" or "\\t"
    date_format: str | None = None  # strptime format, e.g. "%d/%m/%Y" when dates are ambiguous
    decimal_comma: bool | None = None  # None: guess per value; a `;` file implies True (European Excel)

    def for_delimiter(self, delimiter: str) -> ReadOptions:
        """Files Excel writes with `;` come from locales that write `1.234,56`."""
        if self.decimal_comma is None and delimiter == ";":
            return replace(self, decimal_comma=True)
        return self


DEFAULT_OPTIONS = ReadOptions()


def decode(
    path: Path, errors: list[RowError], encoding: str | None = None, head: int | None = None
) -> str | None:
    """UTF-8 (BOM or not), else Windows-1252 (which Excel writes on Windows); a bad byte gets its line.
    `head`: only the whole lines within the file's first `head` bytes."""
    try:
        if head is None:
            data = path.read_bytes()
        else:
            with path.open("rb") as fh:
                data = fh.read(head)
            if len(data) == head:
                data = data[: data.rfind(b"\n") + 1]
    except OSError as exc:
        errors.append(RowError(path.name, 0, "-", f"cannot read the file: {exc.strerror}", fatal=True))
        return None
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            start = getattr(exc, "start", 0)
            line = data[:start].count(b"\n") + 1
            errors.append(RowError(path.name, line, "-", f"the file is not valid {encoding}", fatal=True))
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if not _UTF8_MULTIBYTE.search(data):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            utf8_error = exc
    line = data[: utf8_error.start].count(b"\n") + 1
    errors.append(
        RowError(
            path.name,
            line,
            "-",
            "the file is neither valid UTF-8 nor Windows-1252 (use --encoding to say which)",
            fatal=True,
        )
    )
    return None


def sniff_delimiter(text: str) -> str:
    """`,` `;` or tab, from the header line (Dutch and German Excel write `;`)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _merge(values: list[str]) -> str:
    """Cells of columns that share a header name (HubSpot writes some twice): one value, or all of them.

    Equal or empty copies give the one value; different ones are joined with `;`, HubSpot's own
    separator for several associations, in the order of the copies (so names and ids still pair up).
    """
    filled = [v.strip() for v in values if v.strip()]
    if len(set(filled)) <= 1:
        return filled[0] if filled else ""
    return ";".join(filled)


def _picker(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at `positions` as a tuple in one C call (a dict comprehension per row was a seventh
    of an import's time)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda cells: tuple(cells[i] for i in positions)


def read_text(
    path: Path, errors: list[RowError], options: ReadOptions, head: int | None = None
) -> tuple[str | None, str, ReadOptions]:
    """The file's text (None when it cannot be read: the reason is in `errors`), its delimiter and the
    options that fit it; `head`: only the whole lines of its first `head` bytes."""
    text = decode(path, errors, options.encoding, head)
    if text is None:
        return None, ",", options
    delimiter = options.delimiter or sniff_delimiter(text)
    return text, delimiter, options.for_delimiter(delimiter)


HEAD_BYTES = 1 << 16  # what `read_head` reads of a file


def read_head(path: Path, options: ReadOptions) -> tuple[list[str], str, ReadOptions] | None:
    """The header, delimiter and options of a file from its first 64 KiB (None when they do not
    decode: `read_text` says why): enough to know a file of the generic format, read whole later."""
    text, delimiter, fitting = read_text(path, [], options, HEAD_BYTES)
    return None if text is None else (header_of(text, delimiter), delimiter, fitting)


def header_of(text: str, delimiter: str) -> list[str]:
    """The header's names as `parse_rows` reads them: trimmed, the empty ones left out, each once."""
    try:  # (a header longer than 1 MB is no header)
        raw = next(csv.reader(io.StringIO(text[:1_048_576], newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []
    return list(dict.fromkeys(n for n in (h.strip() for h in raw) if n))


def parse_rows(
    name: str, text: str, delimiter: str, errors: list[RowError]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows (with the line each starts on) of a file's text; problems go to `errors`.

    Header names are trimmed (also of non-breaking spaces); a name that appears more than once is
    read from every copy (see `_merge`); a row of empty cells is no row.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        raw_header = next(reader, [])
        names = [h.strip() for h in raw_header]
        header = list(dict.fromkeys(n for n in names if n))
        if not header:
            errors.append(RowError(name, 1, "-", "the file is empty (a header row is required)", fatal=True))
            return [], []
        positions: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            if n:
                positions.setdefault(n, []).append(i)
        single = [(n, p[0]) for n, p in positions.items() if len(p) == 1]
        single_names = [n for n, _ in single]
        pick = _picker([i for _, i in single])
        several = [(n, p) for n, p in positions.items() if len(p) > 1]
        width = len(names)
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not "".join(cells).strip():  # a row of empty cells (one C call, not one per cell)
                continue
            if len(cells) > width:
                if any(c.strip() for c in cells[width:]):
                    errors.append(RowError(name, start, "-", "more cells than header columns"))
                    continue
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            row = dict(zip(single_names, pick(cells), strict=True))
            for n, ps in several:
                row[n] = _merge([cells[i] for i in ps])
            rows.append((start, row))
    except csv.Error as exc:
        errors.append(RowError(name, reader.line_num, "-", f"not a readable CSV file: {exc}", fatal=True))
    return header, rows


@dataclass
class Columns:
    """A file's rows as columns: the line each row starts on, and each header name's cells (str)."""

    header: list[str]
    lines: np.ndarray  # int64, ascending
    cells: dict[str, np.ndarray]  # name → object array of str, one per row

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def of_rows(cls, header: list[str], rows: list[tuple[int, dict[str, str]]]) -> Columns:
        lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))
        cells = {}
        for n in header:
            cells[n] = np.empty(len(rows), dtype=object)
            cells[n][:] = [r[n] for _, r in rows]
        return cls(header, lines, cells)


def read_columns(
    path: Path, errors: list[RowError], options: ReadOptions = DEFAULT_OPTIONS
) -> tuple[Columns, ReadOptions]:
    """A file's rows as columns, with the options that fit it (see `parse_columns`)."""
    text, delimiter, options = read_text(path, errors, options)
    if text is None:
        return Columns([], np.empty(0, dtype=np.int64), {}), options
    return parse_columns(path.name, text, delimiter, errors), options


def parse_columns(name: str, text: str, delimiter: str, errors: list[RowError]) -> Columns:
    """What `parse_rows` reads, as columns, by pandas' C parser (an import of a million rows spent a
    sixth of its time making a dict per row). Files it would read differently — a line break on its
    own (`\\r`), a byte-order mark kept by `--encoding`, a line longer than `csv`'s field limit, a
    header naming a column twice, a row with more cells than the header — are read by `parse_rows`,
    so every file reads the same either way (tested on every sample and on random text)."""
    header = header_of(text, delimiter)
    plain = header and not text.startswith("\ufeff") and "\r" not in text.replace("\r\n", "")
    table = _pandas_cells(text, delimiter) if plain and _lines_within_limit(text) else None
    if table is None or len(table) == 0:
        return Columns.of_rows(*parse_rows(name, text, delimiter, errors))
    names = [str(c).strip() for c in table[0]]
    if len(set(filter(None, names))) != sum(1 for n in names if n) or any("\n" in n for n in table[0]):
        return Columns.of_rows(*parse_rows(name, text, delimiter, errors))
    cells = table[1:]
    # A record starts on the line after the previous one ends: one line, plus its cells' line breaks.
    breaks = np.zeros(len(cells), dtype=np.int64)
    if text.count("\n") - (0 if text.endswith("\n") else -1) != len(table):
        for column in cells.T:
            if max(map(len, column), default=0) > csv.field_size_limit():  # a cell of many lines
                return Columns.of_rows(*parse_rows(name, text, delimiter, errors))
            breaks += np.fromiter((c.count("\n") for c in column), dtype=np.int64, count=len(column))
    starts = 2 + np.arange(len(cells), dtype=np.int64) + np.concatenate(([0], np.cumsum(breaks)[:-1]))
    keep = np.arange(len(cells))
    first = cells[:, 0]
    blank_first = np.flatnonzero((first == "") | np.fromiter(map(str.isspace, first), bool, len(first)))
    if len(blank_first):  # a row of empty cells is no row
        empty = [i for i in blank_first if not "".join(cells[i]).strip()]
        keep = np.delete(keep, empty)
    by_name = {n: cells[keep, i] for i, n in enumerate(names) if n}
    return Columns(list(by_name), starts[keep], by_name)


def _lines_within_limit(text: str) -> bool:
    """Whether no line is longer than the longest cell `csv` reads (its field limit, in characters:
    measured in UTF-8 bytes here, which are never fewer)."""
    limit = csv.field_size_limit()
    if len(text) <= limit:
        return True
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    ends = np.concatenate(([-1], np.flatnonzero(data == 10), [len(data)]))
    return int(np.diff(ends).max()) <= limit


def _pandas_cells(text: str, delimiter: str) -> np.ndarray | None:
    """Every record of the text as a row of str cells (the header too), or None when pandas and
    `csv` could disagree about it."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=object,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
            doublequote=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return frame.to_numpy(dtype=object)


_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
_DMY_DASH = re.compile(rf"^(\d{{1,2}})-(\d{{1,2}})-(\d{{4}}){_TIME}$")
_DMY_DOT = re.compile(rf"^(\d{{1,2}})\.(\d{{1,2}})\.(\d{{2,4}}){_TIME}$")
_MDY_SLASH = re.compile(rf"^(\d{{1,2}})/(\d{{1,2}})/(\d{{2,4}}){_TIME}$")


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if len(y) == 2 else n


def _with_time(d: date, m: re.Match, first: int) -> datetime:
    hh, mm, ss, ampm = m.group(first), m.group(first + 1), m.group(first + 2), m.group(first + 3)
    if hh is None:
        return datetime(d.year, d.month, d.day)
    hour = int(hh)
    if ampm:
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    return datetime(d.year, d.month, d.day, hour, int(mm), int(ss or 0))


@lru_cache(maxsize=65_536)  # exports repeat their dates: 1.8 M cells, a few thousand distinct days
def parse_datetime(raw: str, date_format: str | None = None) -> datetime | None:
    """ISO; `dd-mm-yyyy` and `dd.mm.yyyy` (European); `mm/dd/yyyy` and `mm/dd/yy` (US, as Salesforce
    and HubSpot write them); each with an optional time (`08:55 PM`). `date_format` overrides."""
    value = raw.strip()
    if not value:
        return None
    if date_format:
        try:
            return datetime.strptime(value, date_format)
        except ValueError:
            raise ValueError(f"{value!r} does not match the date format {date_format!r}") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=None)
    except ValueError:
        pass
    for pattern, order in ((_DMY_DASH, "dmy"), (_DMY_DOT, "dmy"), (_MDY_SLASH, "mdy")):
        m = pattern.match(value)
        if not m:
            continue
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        day, month = (a, b) if order == "dmy" else (b, a)
        try:
            return _with_time(date(y, month, day), m, 4)
        except ValueError:
            break
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD, DD-MM-YYYY, DD.MM.YYYY or MM/DD/YYYY)")


def parse_date(raw: str, date_format: str | None = None) -> date | None:
    parsed = parse_datetime(raw, date_format)
    return parsed.date() if parsed else None


_MONEY_NOISE = re.compile(r"[€$£\s\u00a0]|EUR|USD|GBP|CHF", re.IGNORECASE)


def parse_number(raw: str, decimal_comma: bool | None = None) -> float | None:
    """`1234.5`, `1.234,50` and `1234,5` (decimal comma), `1,234.50`, `€ 12.000`.

    With `decimal_comma` known (from the file's delimiter or an option) `.` and `,` are unambiguous.
    """
    value = _MONEY_NOISE.sub("", raw.strip())
    if not value:
        return None
    if decimal_comma is True:
        value = value.replace(".", "").replace(",", ".")
    elif decimal_comma is False:
        value = value.replace(",", "")
    elif "," in value and "." in value:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        value = value.replace(thousands, "").replace(decimal, ".")
    elif value.count(",") == 1:
        value = value.replace(",", ".")
    elif value.count(",") > 1 or value.count(".") > 1:
        value = value.replace(",", "").replace(".", "")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{raw.strip()!r} is not a number")
    return number
