"""Helpers shared by every table reader: column names, missing values, number typing.

Readers hand over raw cells (text, or Python values from Excel); these helpers give
every format the same rules, so a table reads the same from CSV, XLSX or SDF, and a
file read in chunks reads like the whole file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    """A warning for a text column that is nearly all numbers (e.g. '<5' among values)."""
    values = col.dropna()
    if values.empty or pd.api.types.is_numeric_dtype(col):
        return None
    text = values.astype(str)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    if pd.to_numeric(text.iloc[:_SAMPLE], errors="coerce").isna().mean() > 0.5:
        return None  # plain text: decided on a sample, fast
    bad = pd.to_numeric(text, errors="coerce").isna()
    if bad.mean() > 0.2 or not bad.any():
        return None
    first = bad.idxmax()
    return (
        f"Column '{name}' is mostly numbers but {int(bad.sum())} value(s) are not "
        f"(e.g. '{values[first]}' in row {first + 1}), so it was read as text. "
        "Correct or remove those values to use the column as a number."
    )


def numeric_warnings(frame: pd.DataFrame, decimal: str = ".") -> list[str]:
    """:func:`mostly_numeric_warning` for every column of ``frame``."""
    found = (mostly_numeric_warning(frame[name], str(name), decimal) for name in frame.columns)
    return [msg for msg in found if msg is not None]


def finish_frame(
    frame: pd.DataFrame,
    decimal: str = ".",
    keep_text: Collection[str] = (),
    raw: Collection[str] = (),
    drop_empty_rows: bool = True,
    start: int = 0,
) -> pd.DataFrame:
    """Give raw cells their final form: cleaned text, numbers, a RangeIndex from ``start``.

    ``keep_text`` columns are cleaned but never made numeric; ``raw`` columns are
    left exactly as they are (the SDF ``molblock``).
    """
    cols = {}
    for name in frame.columns:
        col = frame[name]
        if name not in raw:
            col = clean_text(col)
            if name not in keep_text:
                number = to_number(col, decimal)
                col = col if number is None else number
        cols[name] = col
    out = pd.DataFrame(cols, index=frame.index)
    if drop_empty_rows and len(out.columns):
        out = out[out.notna().any(axis=1)]
    out.index = pd.RangeIndex(start, start + len(out))
    return out
