"""Files as Excel and CRMs leave them: encodings, delimiters, dates, decimal commas."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

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


def decode(path: Path, errors: list[RowError], encoding: str | None = None) -> str | None:
    """UTF-8 (BOM or not), else Windows-1252 (which Excel writes on Windows); a bad byte gets its line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(path.name, 0, "-", f"cannot read the file: {exc.strerror}"))
        return None
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            start = getattr(exc, "start", 0)
            line = data[:start].count(b"\n") + 1
            errors.append(RowError(path.name, line, "-", f"the file is not valid {encoding}"))
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
        )
    )
    return None


def sniff_delimiter(text: str) -> str:
    """`,` `;` or tab, from the header line (Dutch and German Excel write `;`)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(
    path: Path, errors: list[RowError], options: ReadOptions = DEFAULT_OPTIONS
) -> tuple[list[str], list[tuple[int, dict[str, str]]], ReadOptions]:
    """Header, rows (with their line numbers) and the options that fit the file; problems go to `errors`."""
    name = path.name
    text = decode(path, errors, options.encoding)
    if text is None:
        return [], [], options
    delimiter = options.delimiter or sniff_delimiter(text)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        if not header:
            errors.append(RowError(name, 1, "-", "the file is empty (a header row is required)"))
            return [], [], options
        for raw in reader:
            if None in raw:
                errors.append(RowError(name, reader.line_num, "-", "more cells than header columns"))
                continue
            if all(not (c or "").strip() for c in raw.values()):
                continue
            rows.append((reader.line_num, {k.strip(): (c or "") for k, c in raw.items() if k}))
    except csv.Error as exc:
        errors.append(RowError(name, reader.line_num, "-", f"not a readable CSV file: {exc}"))
    return header, rows, options.for_delimiter(delimiter)


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
