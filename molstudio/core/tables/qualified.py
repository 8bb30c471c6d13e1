"""Numbers written with a qualifier: censored assay values such as "<5", ">= 7.3", "≥ 7.3".

Assays report values outside their measured range as a bound ("<5": below the
lowest concentration tested). At read time a column whose every non-missing cell is
a number, some of them with a qualifier prefix, becomes numbers plus a text column
``<name>_qualifier`` placed right after it, holding the qualifier ("<", ">", "<=",
">=", "~"; empty where the value was plain). "=" means an exact value and leaves the
qualifier empty.

Training uses the number as given: a "<5" is learned as 5. MolStudio has no
inequality (censored) loss; the qualifier column keeps the information so that it is
never lost and can be written back out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

SUFFIX = "_qualifier"
# Every spelling met, to the one written in the qualifier column ("" = exact value).
QUALIFIERS = {
    "<": "<", ">": ">", "<=": "<=", "=<": "<=", "≤": "<=", "⩽": "<=", ">=": ">=", "=>": ">=",
    "≥": ">=", "⩾": ">=", "~": "~", "≈": "~", "=": "",
}
CENSORED = ("<", ">", "<=", ">=")
_WRITTEN = frozenset(QUALIFIERS.values()) - {""}
_PREFIX = re.compile(r"^\s*(<=|=<|>=|=>|[<>≤≥⩽⩾~≈=])\s*(.*)$", re.DOTALL)
_FIRST = frozenset("<>≤≥⩽⩾~≈=")
_SAMPLE = 200


def split_qualified(col: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series | None] | None:
    """``col`` as (numbers, qualifiers) if every non-missing cell is a possibly qualified number.

    Returns None when some cell is not a number (the column stays text), or when no cell
    has a qualifier (plain numbers are :func:`molstudio.core.tables.cells.to_number`'s job).
    ``qualifiers`` is a text column aligned with ``col`` (missing where the value has no
    qualifier), or None when every qualifier was "=". Text with a leading zero ("<007")
    is an identifier and stays text, as plain numbers do.
    """
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return None
    values = col.dropna()
    if values.empty:
        return None
    if col.dtype == object and values.map(lambda v: isinstance(v, bool)).any():
        return None
    if _parse(values.iloc[:_SAMPLE], decimal) is None:
        return None  # text (SMILES, names) is turned down on a sample, fast
    if not any(str(v).lstrip()[:1] in _FIRST for v in values.to_numpy(dtype=object)):
        return None
    parts = _parse(values, decimal)
    if parts is None:
        return None
    numbers, marks = parts
    marks = marks.mask(marks == "")
    qualifiers = marks.reindex(col.index).astype("str") if marks.notna().any() else None
    return numbers.reindex(col.index), qualifiers


def parse_numbers(cells: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Each (non-missing) cell as (number or NaN, normalized qualifier or "")."""
    marks: list[str] = []
    texts: list[str] = []
    for value in cells.to_numpy(dtype=object):  # one pass in Python beats several .str passes
        text, mark = str(value).strip(), ""
        if text[:1] in _FIRST:
            found = _PREFIX.match(text)
            assert found is not None  # every character in _FIRST starts a match
            mark, text = QUALIFIERS[found[1]], found[2].strip()
        if decimal == ",":
            text = text.replace(",", ".")
        digits = text[1:] if text[:1] in "+-" else text
        if digits[:1] == "0" and digits[1:2].isdigit():
            text = ""  # "007" is an identifier, not a number
        marks.append(mark)
        texts.append(text)
    numbers = pd.to_numeric(pd.Series(texts, index=cells.index, dtype=object), errors="coerce").astype(float)
    return numbers, pd.Series(marks, index=cells.index, dtype=object)


def _parse(cells: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series] | None:
    """(numbers, qualifiers) when every cell is a (qualified) number, else None."""
    numbers, marks = parse_numbers(cells, decimal)
    return None if numbers.isna().any() else (numbers, marks)


def qualifier_name(name: str, taken: Sequence[str]) -> str:
    """The qualifier column's name for ``name``: ``<name>_qualifier``, made unique."""
    base = f"{name}{SUFFIX}"
    out, k = base, 2
    while out in taken:
        out, k = f"{base} ({k})", k + 1
    return out


def is_qualifier_column(frame: pd.DataFrame, name: object) -> bool:
    """Whether ``name`` is the qualifier column of the numeric column just before it."""
    pos = frame.columns.get_indexer([name])[0] if name in frame.columns else -1
    return pos >= 1 and _pairs(frame, frame.columns[pos - 1], name)


def qualifier_columns(frame: pd.DataFrame) -> list[str]:
    """The qualifier columns of ``frame`` (see :func:`is_qualifier_column`)."""
    cols = list(frame.columns)
    return [cur for prev, cur in zip(cols, cols[1:]) if _pairs(frame, prev, cur)]


def _pairs(frame: pd.DataFrame, value: object, name: object) -> bool:
    base, label = f"{value}{SUFFIX}", str(name)
    if label != base and not (label.startswith(base) and re.fullmatch(r" \(\d+\)", label[len(base):])):
        return False
    if not pd.api.types.is_numeric_dtype(frame[value]):
        return False
    marks = frame[name].dropna()
    return bool(len(marks)) and bool(marks.astype(str).isin(_WRITTEN).all())


def censored_warning(frame: pd.DataFrame, name: str) -> str | None:
    """A load-report warning for the qualifier column ``name`` (None if it is not one)."""
    if not is_qualifier_column(frame, name):
        return None
    value = frame.columns[frame.columns.get_indexer([name])[0] - 1]
    marks = frame[name].dropna().astype(str)
    counts = marks.value_counts()
    kinds = ", ".join(f"{int(counts[q])} '{q}'" for q in CENSORED if q in counts)
    first = marks.index[0]
    number = float(frame.at[first, value])
    censored = int(marks.isin(CENSORED).sum())
    approximate = len(marks) - censored
    what = " and ".join(
        part for part in (f"{censored} censored value(s) ({kinds})" if censored else "",
                          f"{approximate} approximate value(s) ('~')" if approximate else "") if part
    )
    return (
        f"Column '{value}' holds {what}, e.g. '{marks[first]}{_plain(number)}' in row {first + 1}. "
        f"The qualifiers were moved to the new column '{name}', and training uses the number as given "
        f"(a '<5' is learned as 5), not as a bound."
    )


def _plain(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.6g}"
