"""Helpers shared by every table reader: column names, missing values, number typing.

Readers hand over raw cells (text, or Python values from Excel); these helpers give
every format the same rules, so a table reads the same from CSV, XLSX or SDF, and a
file read in chunks reads like the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from molstudio.core.tables import qualified

# Spellings of "no value" met in lab spreadsheets (Excel error codes included).
NA_TOKENS = frozenset(
    {
        "", "na", "n/a", "nan", "null", "none", "nd", "n.d.", "-", "?", "#n/a", "#na",
        "#value!", "#div/0!", "#ref!", "#name?", "#num!", "#null!",
    }
)
# The same in the usual capitalisations, for exact (fast) matching.
NA_SPELLINGS = frozenset(
    {v for t in NA_TOKENS for v in (t, t.upper(), t.title(), t.capitalize())} | {"NaN", "NA", "N/A"}
)
_SAMPLE = 200
_SHOWN = 10  # rows named in a warning


@dataclass
class RowProblem:
    """A problem with one data row; ``row`` is the 0-based DataFrame index."""

    row: int
    column: str | None
    message: str


def clean_header(raw: Sequence[object]) -> tuple[list[str], list[str]]:
    """Column names from a header row, and warnings about what was changed.

    Whitespace is stripped, unnamed columns are named ``column_N`` (1-based) and
    repeated names get `` (2)``, `` (3)``. Trailing unnamed cells are not columns:
    the result may be shorter than ``raw``.
    """
    cells = ["" if v is None else str(v).strip().lstrip("\ufeff") for v in raw]
    while cells and not cells[-1]:
        cells.pop()
    names: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells, start=1):
        name = cell
        if not name:
            name = f"column_{i}"
            warnings.append(f"Column {i} has no header; it was named '{name}'.")
        if name in seen:
            k = 2
            while f"{name} ({k})" in seen:
                k += 1
            warnings.append(
                f"The column name '{name}' appears more than once; column {i} was renamed '{name} ({k})'."
            )
            name = f"{name} ({k})"
        seen.add(name)
        names.append(name)
    return names, warnings


_QUALIFIER = re.compile(r"^[<>≤≥⩽⩾~≈=]+\s*")
# a measured value written with its unit ("5 nM", "<0.1 %"), not a unit
_VALUE_WITH_UNIT = re.compile(r"^[<>≤≥⩽⩾~≈=]*\s*[+-]?(\d+([.,]\d+)?|[.,]\d+)\s*[a-zA-Zµμ%]")


def _is_number(cell: object, decimal: str) -> bool | None:
    """True for a number (a written one, "<5" included), False for other text, None for no value."""
    if cell is None or isinstance(cell, bool):
        return None if cell is None else False
    if isinstance(cell, (int, float)):
        return None if cell != cell else True  # NaN is no value
    text = str(cell).strip()
    if text.lower() in NA_TOKENS:
        return None
    text = _QUALIFIER.sub("", text)
    try:
        float(text.replace(",", ".") if decimal == "," else text)
    except ValueError:
        return False
    return True


def units_row(
    names: Sequence[str], first: Sequence[object], rest: Sequence[Sequence[object]], decimal: str = "."
) -> dict[str, str] | None:
    """The unit under each column when ``first``, the row below the header, is a second
    header row ('mol/L' under 'solubility'); else None.

    It is one when it holds at least one word, and every word stands above a column whose
    cells in ``rest`` (rows below, a sample) are all numbers; its other cells are empty.
    Words are text that is neither a number nor a "no value" spelling; a row with a
    structure or a name in a text column is therefore always data.
    """
    units: dict[str, str] = {}
    for i, cell in enumerate(first):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        if i >= len(names) or _is_number(cell, decimal) is not False or _VALUE_WITH_UNIT.match(text):
            return None
        column = [_is_number(row[i], decimal) for row in rest if i < len(row)]
        if False in column or True not in column:
            return None
        units[names[i]] = text
    return units or None


def units_warning(file_name: str, where: str, units: dict[str, str]) -> str:
    """The load-report line for a second header row found by :func:`units_row` (``where``: "line 2")."""
    shown = ", ".join(f"{name} {unit}" for name, unit in units.items())
    return f"In {file_name}, {where} looks like a second header row (units: {shown}), so it was not read as data."


def clean_text(col: pd.Series) -> pd.Series:
    """Strip surrounding whitespace of text cells; turn "no value" spellings into NaN."""
    if pd.api.types.is_string_dtype(col):
        col = col.str.strip()
        return col.mask(col.isin(NA_SPELLINGS))
    if col.dtype == object:
        is_text = col.map(lambda v: isinstance(v, str))
        if is_text.any():
            stripped = col[is_text].str.strip()
            col = col.copy()
            col[is_text] = stripped.mask(stripped.isin(NA_SPELLINGS))
            col = col.infer_objects()
    return col


def to_number(col: pd.Series, decimal: str = ".") -> pd.Series | None:
    """``col`` as numbers if every non-missing cell is one, else None.

    Decimal commas are accepted when ``decimal`` is ",". Text with a leading zero
    ("007") stays text: it is an identifier, not a number.
    """
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        return col
    values = col.dropna()
    if values.empty:
        return pd.Series(np.nan, index=col.index, dtype=float)
    if col.dtype == object and values.map(lambda v: isinstance(v, bool)).any():
        return None
    text = values.astype(str)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    head = pd.to_numeric(text.iloc[:_SAMPLE], errors="coerce")
    if head.isna().any():
        return None
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.isna().any() or text.str.match(r"[+-]?0\d").any():
        return None
    return numbers.reindex(col.index)


def mostly_numeric_warning(col: pd.Series, name: str, decimal: str) -> str | None:
    """A warning for a text column that is nearly all numbers (e.g. 'inactive' among values).

    Numbers with a qualifier ("<5", ">= 7.3") count as numbers here, so the example
    given is the value that really keeps the column from being numeric.
    """
    values = col.dropna()
    if values.empty or pd.api.types.is_numeric_dtype(col):
        return None
    if qualified.parse_numbers(values.iloc[:_SAMPLE], decimal)[0].isna().mean() > 0.5:
        return None  # plain text: decided on a sample, fast
    bad = qualified.parse_numbers(values, decimal)[0].isna()
    if bad.mean() > 0.2 or not bad.any():
        return None
    shown = ", ".join(f"'{values[i]}' in row {i + 1}" for i in bad[bad].index[:3])
    return (
        f"Column '{name}' is mostly numbers but {int(bad.sum())} value(s) are not ({shown}), so it was "
        "read as text: it cannot be a measured target or a descriptor. Correct or remove those values "
        "to use the column as numbers."
    )


def infinity_warning(col: pd.Series, name: str) -> str | None:
    """A warning for a numeric column holding infinities ("inf", or a number such as 1e999)."""
    if not pd.api.types.is_float_dtype(col):
        return None
    inf = np.isinf(col.to_numpy(dtype=float, na_value=np.nan))
    if not inf.any():
        return None
    rows = col.index[inf]
    plural = "s" if len(rows) > 1 else ""
    shown = ", ".join(str(r + 1) for r in rows[:_SHOWN])
    if len(rows) > _SHOWN:
        shown += f" and {len(rows) - _SHOWN} more"
    return (
        f"Column '{name}' holds {len(rows)} infinite value(s) ('inf', or a number too large to store such as "
        f"1e999) in row{plural} {shown}. They are treated as missing: those values are never trained on."
    )


def numeric_warnings(frame: pd.DataFrame, decimal: str = ".") -> list[str]:
    """Warnings about the number columns of ``frame``: text among numbers, infinities, qualifiers."""
    found: list[str | None] = []
    for name in frame.columns:
        found.append(mostly_numeric_warning(frame[name], str(name), decimal))
        found.append(infinity_warning(frame[name], str(name)))
    found += [qualified.censored_warning(frame, name) for name in qualified.qualifier_columns(frame)]
    return [msg for msg in found if msg is not None]


def finish_frame(
    frame: pd.DataFrame,
    decimal: str = ".",
    keep_text: Collection[str] = (),
    raw: Collection[str] = (),
    drop_empty_rows: bool = True,
    start: int = 0,
    qualifiers: dict[str, bool] | None = None,
) -> pd.DataFrame:
    """Give raw cells their final form: cleaned text, numbers, a RangeIndex from ``start``.

    ``keep_text`` columns are cleaned but never made numeric; ``raw`` columns are
    left exactly as they are (the SDF ``molblock``). A column of numbers some of which
    carry a qualifier ("<5", ">= 7.3") becomes numbers followed by a text column
    ``<name>_qualifier`` (:mod:`molstudio.core.tables.qualified`; training uses the number).

    ``qualifiers`` is for chunked reads: one dict shared by every chunk of a file, so
    that the first chunk decides for the whole file. A column it split has its qualifier
    column in every later chunk (empty where a chunk has no qualifier); any other column
    is never split later on: a later "<5" stays text as written, so that every chunk has
    the same columns and nothing is lost.
    """
    cols: dict[object, pd.Series] = {}
    taken = [str(c) for c in frame.columns]
    for name in frame.columns:
        col = frame[name]
        marks = None
        if name not in raw:
            col = clean_text(col)
            if name not in keep_text:
                col, marks = _typed(col, str(name), decimal, qualifiers)
        cols[name] = col
        if marks is not None:
            label = qualified.qualifier_name(str(name), taken)
            taken.append(label)
            cols[label] = marks
    out = pd.DataFrame(cols, index=frame.index)
    if drop_empty_rows and len(out.columns):
        out = out[out.notna().any(axis=1)]
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def _typed(
    col: pd.Series, name: str, decimal: str, qualifiers: dict[str, bool] | None
) -> tuple[pd.Series, pd.Series | None]:
    """(the column as numbers or text, its qualifier column or None); see :func:`finish_frame`."""
    known = None if qualifiers is None else qualifiers.get(name)
    number = to_number(col, decimal)
    marks = None
    if number is None and known is not False:
        split = qualified.split_qualified(col, decimal)
        if split is not None:
            number, marks = split
    if known is True and marks is None:
        marks = pd.Series(np.nan, index=col.index, dtype="str")
    if qualifiers is not None and known is None:
        qualifiers[name] = marks is not None
    return (col if number is None else number), marks
