"""The columnar import (pandas' parser, whole-column checks) against the row by row one it replaces
for the generic files: the same rows, values, lines, errors, warnings and audit, on every sample and
on random text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm_tui.importers.formats import Columns, parse_columns, parse_rows

ROOT = Path(__file__).resolve().parents[2]


def both(text: str, delimiter: str = ",") -> tuple[tuple, tuple]:
    rows_errors: list = []
    columns_errors: list = []
    by_rows = Columns.of_rows(*parse_rows("f.csv", text, delimiter, rows_errors))
    by_columns = parse_columns("f.csv", text, delimiter, columns_errors)
    return _plain(by_rows, rows_errors), _plain(by_columns, columns_errors)


def _plain(c: Columns, errors: list) -> tuple:
    return c.header, c.lines.tolist(), {n: list(v) for n, v in c.cells.items()}, errors


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n",
        "a,b,c\r\n1,2,3\r\n4,5,6",  # Windows line ends, no last one
        "a,b,c\n1,2,3\n\n4,5\n  ,  ,\n7,8,9\n",  # a blank line, a short row, a row of blanks
        'a,b\n"x\ny",q\n"r""s","t\r\nu"\n1,2\n',  # line breaks inside quotes: later rows' lines move
        'a,b\n"ab"cd,e"f\n',  # stray quotes
        "a,b\n1,2,3\n4,5\n",  # more cells than the header: an error for that row
        "a,b\n1,2,\n",  # a trailing empty cell
        "a,a,b\n1,,2\n,3,4\n",  # a column named twice
        " a ,,b\n1,x,2\n",  # a column without a name
        "a,b\r1,2\r",  # old Mac line ends
        '"a\nb",c\n1,2\n',  # a line break in the header
        "a,b\n",  # a header only
        "",  # nothing at all
        "a;b\n1,5;2\n",
    ],
)
def test_columns_read_like_rows(text):
    by_rows, by_columns = both(text, ";" if text.startswith("a;") else ",")
    assert by_columns == by_rows


def test_columns_line_numbers_after_quoted_line_breaks():
    _, by_columns = both('id,note\n1,"two\nlines"\n2,plain\n\n3,"x"\n')
    assert by_columns[1] == [2, 4, 6]
    assert by_columns[2]["note"] == ["two\nlines", "plain", "x"]


cell_text = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t\u00a0é=1')), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=6), st.booleans())
def test_columns_read_like_rows_on_random_csv(records, crlf):
    """Well-formed CSV of awkward cells (quotes, separators, line breaks of both kinds)."""

    def quote(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n\r') else c

    end = "\r\n" if crlf else "\n"
    text = end.join(",".join(quote(c) for c in r) for r in [["id", "x", "y"], *records]) + end
    by_rows, by_columns = both(text)
    assert by_columns == by_rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('ab,"\n \r')), max_size=40))
def test_columns_read_like_rows_on_random_text(body):
    """Anything at all after a header, malformed quoting included."""
    by_rows, by_columns = both("id,x,y\n" + body)
    assert by_columns == by_rows


def test_columns_read_every_sample_like_rows():
    files = sorted((ROOT / "fixtures").rglob("*.csv"))
    assert len(files) > 30
    for path in files:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        by_rows, by_columns = both(text, delimiter)
        assert by_columns == by_rows, path
        assert np.all(np.diff(by_columns[1]) > 0) if by_columns[1] else True
