"""Which column holds what: structures, identifiers, targets, descriptors.

A column is taken for structures only when a sample of its values parses with
RDKit; its header alone never decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from molstudio.core import chem
from molstudio.core.tables import qualified

SAMPLE = 50
MIN_PARSED = 0.6
STRUCTURE_NAMES = ("smiles", "canonical_smiles", "structure", "mol", "molecule", "molblock")
ID_NAMES = (
    "id", "name", "compound_id", "compound", "compound_name", "cmpd", "cmpd_id", "mol_id",
    "molecule_id", "chembl_id", "molecule_chembl_id", "identifier", "title", "_name",
)
TARGET_NAMES = (
    "y", "target", "activity", "act", "pic50", "pki", "ic50", "ki", "logs", "log_solubility",
    "solubility", "p_np", "label", "class",
)
_TARGET_PARTS = ("ic50", "ec50", "pchembl", "activity", "affinity", "solubility")
_SPLIT_NAMES = ("split", "fold", "set", "subset", "partition")


@dataclass
class ColumnRoles:
    """The role of each column; ``structure_kind`` is "smiles", "molblock" or None."""

    structure: str | None
    structure_kind: str | None
    id: str | None
    targets: list[str] = field(default_factory=list)
    descriptors: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _sample(col: pd.Series) -> list[object]:
    values = col.dropna()
    values = values[values.astype(str).str.strip() != ""]
    if len(values) > SAMPLE:
        values = values.iloc[np.linspace(0, len(values) - 1, SAMPLE).astype(int)]
    return values.tolist()


def _parse_rate(col: pd.Series, kind: str) -> float:
    sample = _sample(col)
    if not sample:
        return 0.0
    parse = chem.parse_smiles if kind == "smiles" else chem.parse_molblock
    return sum(parse(str(v))[0] is not None for v in sample) / len(sample)


def _is_text(col: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(col) or col.dtype == object


def _kind_of(name: object, col: pd.Series) -> str:
    if _key(name) == "molblock":
        return "molblock"
    head = [str(v) for v in col.dropna().head(5)]
    return "molblock" if any("M  END" in v for v in head) else "smiles"


def _find_structure(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    text = [c for c in frame.columns if _is_text(frame[c])]
    named = [c for c in text if _key(c) in STRUCTURE_NAMES or "smiles" in _key(c)]
    for group in (named, [c for c in text if c not in named]):
        best, best_rate, best_kind = None, MIN_PARSED, None
        for name in group:
            kind = _kind_of(name, frame[name])
            rate = _parse_rate(frame[name], kind)
            if rate >= MIN_PARSED and (best is None or rate > best_rate):
                best, best_rate, best_kind = name, rate, kind
        if best is not None:
            return best, best_kind
    return None, None


def _all_unique(col: pd.Series) -> bool:
    return bool(col.notna().all() and col.is_unique and len(col) > 1)


def _is_integer(col: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _target_like(name: object) -> bool:
    key = _key(name)
    return key in TARGET_NAMES or any(p in key for p in _TARGET_PARTS)


def _find_id(frame: pd.DataFrame, structure: str | None) -> str | None:
    others = [c for c in frame.columns if c != structure]
    for name in others:
        if _key(name) in ID_NAMES and frame[name].notna().any():
            return name
    for test in (_is_text, _is_integer):
        for name in others:
            if test(frame[name]) and not _target_like(name) and _all_unique(frame[name]):
                return name
    return None


def _is_binary_with_gaps(col: pd.Series) -> bool:
    values = col.dropna()
    return bool(col.isna().any() and len(values) and values.isin([0, 1]).all())


def detect_roles(frame: pd.DataFrame) -> ColumnRoles:
    """Guess the structure, id, target and descriptor columns of a table.

    Targets are the numeric columns named like one (pIC50, activity, y, ...); a
    Tox21-like table of several 0/1 columns with gaps has all of them as targets;
    otherwise the last numeric column is the target. The qualifier column of censored
    values (``pIC50_qualifier``, see :mod:`molstudio.core.tables.qualified`) never takes a role.
    """
    marks = qualified.qualifier_columns(frame)
    if marks:
        frame = frame.drop(columns=marks)
    structure, kind = _find_structure(frame)
    ident = _find_id(frame, structure)
    numeric = [
        c
        for c in frame.columns
        if c not in (ident, structure)
        and pd.api.types.is_numeric_dtype(frame[c])
        and frame[c].notna().any()
    ]
    gappy = [c for c in numeric if _is_binary_with_gaps(frame[c])]
    named = [c for c in numeric if _target_like(c)]
    if len(gappy) >= 2:
        targets = [c for c in numeric if c in gappy or c in named]
    elif named:
        targets = named
    else:
        usable = [c for c in numeric if _key(c) not in _SPLIT_NAMES]
        targets = usable[-1:]
    descriptors = [c for c in numeric if c not in targets and _key(c) not in _SPLIT_NAMES]
    return ColumnRoles(structure, kind, ident, targets, descriptors, numeric)


def is_classification(series: pd.Series) -> bool:
    """True for yes/no data: booleans, only 0 and 1, or exactly two text labels."""
    values = series.dropna()
    if values.empty:
        return False
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return bool(values.isin([0, 1]).all())
    if values.map(lambda v: isinstance(v, bool)).all():
        return True
    labels = values.astype(str).str.strip()
    return labels.nunique() == 2


def task_type(series: pd.Series) -> str:
    """"classification" for yes/no data (see :func:`is_classification`), else "regression"."""
    return "classification" if is_classification(series) else "regression"
