"""From a table and a run configuration to molecules, targets and usable rows.

This is where the column roles the user confirmed (or that were detected) are applied,
structures are parsed once, and rows that cannot be used are set aside with a reason,
keeping their original position. A target that cannot be learned (text among numbers,
one value or one class only, too few rows) is refused here, before any work.

Censored values ("<5", read as 5 with its qualifier in ``<target>_qualifier``, see
:mod:`molstudio.core.tables.qualified`) are trained on as the number given; there is no
inequality loss.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from molstudio.core import chem
from molstudio.core.architectures import MODELS
from molstudio.core.cancel import check
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import parse_feature_specs
from molstudio.core.run.choices import require_structures
from molstudio.core.run.config import RunConfig, setting_conflicts
from molstudio.core.tables import columns, qualified

MIN_ROWS = 2  # compounds with a value needed to train, and in the training set
CONFLICT_SPREAD = 0.5  # duplicates whose values differ by more than this many standard deviations conflict
_SHOWN = 3  # examples named in a message
PARSE_CHUNK = 1000  # structures parsed between two looks at the Stop button (about 0.3 s)


@dataclass
class PreparedData:
    config: RunConfig  # with every "detect" value filled in
    task: str
    mols: list[Chem.Mol | None]
    keys: list[str | None]
    errors: list[str | None]
    y: np.ndarray  # (n, tasks) float32; NaN = missing label
    classes: list[list[str]] | None  # per task, for text class labels
    usable: np.ndarray  # row positions that can be trained on
    skipped: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    feature_specs: list[dict[str, Any]] = field(default_factory=list)


def _resolution_key(config: RunConfig, frame: pd.DataFrame) -> tuple[Any, ...]:
    """What a resolved configuration depends on: the table and the choices resolution fills in."""
    return (id(frame), len(frame), tuple(frame.columns), config.model, config.structure_column, config.id_column,
            tuple(config.targets), config.task, tuple(map(str, config.features)), tuple(config.descriptor_columns))


def is_resolved(config: RunConfig, frame: pd.DataFrame) -> bool:
    """Whether :func:`resolve_config` already made ``config`` for ``frame`` (and nothing changed since)."""
    return config.resolved_for is not None and config.resolved_for == _resolution_key(config, frame)


def resolve_config(config: RunConfig, frame: pd.DataFrame) -> RunConfig:
    """Fill what the configuration leaves to detection, and check what it names exists.

    The copy returned is marked as resolved for ``frame``: :func:`prepare_data` (and so
    every training run) takes it as it is instead of resolving it again.
    """
    config = copy.deepcopy(config)
    if frame.empty:
        raise MolStudioError("The table has no rows to train on.")
    roles = columns.detect_roles(frame)
    named = [config.structure_column, config.id_column, *config.targets, *config.descriptor_columns]
    missing = [c for c in named if c and c not in frame.columns]
    if missing:
        raise MolStudioError(
            f"The column(s) {', '.join(repr(c) for c in missing)} are not in the table.",
            hint=f"Columns in the table: {', '.join(map(str, frame.columns))}.",
        )
    if not config.structure_column and roles.structure:
        config.structure_column = roles.structure
    if not config.id_column and roles.id:
        config.id_column = roles.id
    if not config.targets:
        if not roles.targets:
            raise MolStudioError(
                "No numeric column to predict was found.", hint="Name the target column explicitly."
            )
        config.targets = list(roles.targets)
    taken = {config.structure_column, config.id_column, *config.targets}
    arch = MODELS.get(config.model)
    require_structures(config.model, config.structure_column)
    if not config.features:
        if config.structure_column:
            config.features = list(arch.default_features) or ["none"]
            if config.descriptor_columns:
                config.features.append("columns")
        else:
            config.features = ["columns"]
    if arch.input_kind == "vector" and all(_name(f) == "none" for f in config.features):
        raise MolStudioError(
            f"The '{config.model}' architecture needs features (fingerprints, descriptors or columns).",
        )
    if any(_name(f) == "columns" for f in config.features) and not config.descriptor_columns:
        config.descriptor_columns = [c for c in roles.descriptors if c not in taken]
    if not config.structure_column and any(_name(f) not in ("columns", "none") for f in config.features):
        raise MolStudioError(
            "The table has no structure (SMILES) column, so only its own descriptor columns can be features.",
            hint="Choose the descriptor columns as features, or name the structure column.",
        )
    if any(_name(f) == "columns" for f in config.features) and not config.descriptor_columns:
        raise MolStudioError("No descriptor columns were found to use as features.")
    if config.task == "auto":
        kinds = {columns.task_type(frame[t]) for t in config.targets}
        if len(kinds) > 1:
            raise MolStudioError(
                "Some targets look like classes (0/1) and others like measured values.",
                hint="Train them separately, or set the task type explicitly.",
            )
        config.task = kinds.pop()
    if config.task not in ("regression", "classification"):
        raise MolStudioError(f"Unknown task type '{config.task}' (use regression or classification).")
    for name in config.targets:
        _check_target_column(frame[name], config.task)
    config.resolved_for = _resolution_key(config, frame)
    return config


def _check_target_column(col: pd.Series, task: str) -> None:
    """Refuse a target column that cannot be learned, naming the values at fault."""
    name = col.name
    if task == "classification":
        uniques = pd.Series(col.dropna().unique(), name=name, dtype=object)
        labels = _class_labels(uniques)  # raises for more than two classes
        values = col.map(_label_text) if len(labels) < 2 else None
        if values is not None:
            _check_values(str(name), values.dropna().map(labels.index).to_numpy(float), task, labels, "")
        return
    numbers = col if pd.api.types.is_numeric_dtype(col) else pd.to_numeric(col, errors="coerce")
    if pd.api.types.is_bool_dtype(numbers):
        numbers = numbers.astype(float)
    bad = (col.notna() & numbers.isna()).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)  # positions: the rows as the user counts them
        shown = ", ".join(f"'{col.iloc[i]}' (row {i + 1})" for i in rows[:_SHOWN])
        more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
        raise MolStudioError(
            f"The target column '{name}' holds text where measured values are expected: {shown}{more}.",
            hint="Correct or remove those values (empty cells are fine: those rows are left out), or choose "
            "classification if the column holds classes such as active/inactive.",
        )
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    _check_values(str(name), values[np.isfinite(values)], task, None, "")


def _check_values(name: str, values: np.ndarray, task: str, labels: list[str] | None, among: str) -> None:
    """Raise when the known target values ``values`` leave nothing to learn.

    ``among`` describes the rows looked at (empty: the whole column).
    """
    if len(values) < MIN_ROWS:
        raise MolStudioError(
            f"Only {len(values)} compound(s){among} have a value for '{name}'; at least {MIN_ROWS} are needed "
            "to train.",
            hint="Add compounds with measured values, or choose another target column.",
        )
    distinct = np.unique(values)
    if len(distinct) > 1:
        return
    if task == "classification":
        label = labels[int(distinct[0])] if labels else _number(distinct[0])
        raise MolStudioError(
            f"Every compound{among} is in the same class '{label}' of '{name}': a classifier needs "
            "examples of both classes.",
            hint="Add compounds of the other class, or treat the column as a measured value.",
        )
    raise MolStudioError(
        f"Every compound{among} has the same value {_number(distinct[0])} for '{name}': there is nothing to learn.",
        hint="Choose a target whose values differ between compounds.",
    )


def _number(x: float) -> str:
    return f"{float(x):g}"


def _name(feature: Any) -> str:
    return feature["name"] if isinstance(feature, dict) else str(feature).split("(")[0].strip()


def feature_specs(config: RunConfig) -> list[dict[str, Any]]:
    structural = [f for f in config.features if _name(f) not in ("columns", "none")]
    specs = parse_feature_specs(structural) if structural else []
    if any(_name(f) == "columns" for f in config.features):
        specs.append({"name": "columns", "columns": ",".join(config.descriptor_columns)})
    return specs


def parse_targets(
    frame: pd.DataFrame, targets: list[str], task: str, classes: list[list[str]] | None = None
) -> tuple[np.ndarray, list[list[str]] | None]:
    """Target matrix (NaN = missing). Text class labels are mapped to 0/1 (sorted order
    unless ``classes`` from a trained model are given)."""
    y = np.full((len(frame), len(targets)), np.nan, dtype=np.float32)
    found_classes: list[list[str]] = []
    for j, name in enumerate(targets):
        col = frame[name]
        numeric = pd.to_numeric(col, errors="coerce")
        if task == "classification":
            labels = classes[j] if classes else _class_labels(col)
            mapping = {lab: float(k) for k, lab in enumerate(labels)}
            values = col.map(lambda v, m=mapping: m.get(_label_text(v), np.nan))
            y[:, j] = values.to_numpy(dtype=np.float32, na_value=np.nan)
            found_classes.append(labels)
        else:
            y[:, j] = numeric.to_numpy(dtype=np.float32, na_value=np.nan)
    y[~np.isfinite(y)] = np.nan
    return y, (found_classes if task == "classification" else None)


def _label_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _class_labels(col: pd.Series) -> list[str]:
    labels = sorted({t for t in (_label_text(v) for v in col) if t is not None})
    if len(labels) > 2:
        raise MolStudioError(
            f"The column '{col.name}' holds {len(labels)} different classes; only two-class "
            "(yes/no, active/inactive) targets can be learned as classes.",
            hint="Treat it as a measured value (regression) instead.",
        )
    if len(labels) == 2 and set(labels) != {"0", "1"}:
        positive = [lab for lab in labels if lab.lower() in ("1", "true", "yes", "active", "positive", "toxic")]
        if positive:
            labels = [lab for lab in labels if lab != positive[0]] + positive
    return labels


def prepare_data(config: RunConfig, frame: pd.DataFrame, cancel: threading.Event | None = None) -> PreparedData:
    """Parse structures and targets; decide which rows can be trained on.

    Structures are parsed in chunks with ``cancel`` checked between them (raising
    :class:`~molstudio.core.cancel.Cancelled`): 50,000 of them take a quarter of a minute.

    Rows with an unreadable structure, no target value or only infinite ones are set
    aside with their reason; the warnings say how many, and name mixtures (salts),
    duplicated structures with conflicting values and censored target values.
    """
    if not is_resolved(config, frame):
        config = resolve_config(config, frame)
    n = len(frame)
    kind = "molblock" if config.structure_column == "molblock" else "smiles"
    if config.structure_column:
        values = frame[config.structure_column].tolist()
        mols, errors, keys = [], [], []
        for start in range(0, n, PARSE_CHUNK):
            check(cancel)
            parsed = chem.parse_structures(values[start : start + PARSE_CHUNK], kind=kind,
                                           standardize=config.standardize)
            mols += parsed.mols
            errors += parsed.errors
            keys += parsed.canonical
    else:
        mols, errors = [None] * n, [None] * n
        keys = [None] * n
    y, classes = parse_targets(frame, config.targets, config.task)
    infinite = _infinite_targets(frame, config.targets) if config.task == "regression" else np.zeros(n, bool)
    skipped: list[tuple[int, str]] = []
    usable: list[int] = []
    for i in range(n):
        if errors[i]:
            skipped.append((i, f"invalid structure: {errors[i]}"))
        elif np.isnan(y[i]).all():
            skipped.append((i, "target value is infinite" if infinite[i] else "no target value"))
        else:
            usable.append(i)
    among = "" if not skipped else f" among the {len(usable)} of {n} rows that can be used"
    if len(usable) < MIN_ROWS:
        raise MolStudioError(
            f"Only {len(usable)} of the table's {n} row(s) can be trained on; at least {MIN_ROWS} are needed."
            + (f" Left out: {_left_out_text(skipped)}." if skipped else ""),
            hint="Correct the structures and target values listed in the load report, or add compounds.",
        )
    for j, name in enumerate(config.targets):
        _check_values(name, y[usable, j][~np.isnan(y[usable, j])], config.task,
                      classes[j] if classes else None, among)
    warnings = _left_out_warnings(skipped, n)
    warnings += _mixture_warnings(frame, config, mols, usable, kind)
    warnings += _duplicate_warnings(keys, usable, y, config.targets, config.task, classes)
    warnings += _censored_warnings(frame, config.targets, usable)
    warnings += setting_conflicts(config.resolved_training())
    return PreparedData(
        warnings=warnings,
        config=config,
        task=config.task,
        mols=mols,
        keys=keys,
        errors=errors,
        y=y,
        classes=classes,
        usable=np.asarray(usable, dtype=np.int64),
        skipped=skipped,
        feature_specs=feature_specs(config),
    )


def check_split_counts(counts: dict[str, int], usable: int) -> None:
    """Refuse a split whose training set is too small to learn from, with the counts."""
    if counts["train"] >= MIN_ROWS:
        return
    raise MolStudioError(
        f"With {usable} usable compound(s) the split gives {counts['train']} training, {counts['val']} "
        f"validation and {counts['test']} test compound(s); training needs at least {MIN_ROWS}.",
        hint="Add compounds, or give the training set a larger share of the split (e.g. 0.8, 0, 0.2).",
    )


def _infinite_targets(frame: pd.DataFrame, targets: list[str]) -> np.ndarray:
    """Rows whose target cells hold infinities (read as missing by :func:`parse_targets`)."""
    found = np.zeros(len(frame), dtype=bool)
    for name in targets:
        numbers = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        found |= np.isinf(numbers)
    return found


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r + 1) for r in rows[:_SHOWN])
    return shown + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def _left_out_text(skipped: list[tuple[int, str]]) -> str:
    groups: dict[str, list[tuple[int, str]]] = {}
    for row, why in skipped:
        kind = "an unreadable structure" if why.startswith("invalid structure") else (
            "an infinite target value" if why == "target value is infinite" else "no target value")
        groups.setdefault(kind, []).append((row, why))
    parts = []
    for kind, items in groups.items():
        first = items[0]
        detail = first[1].removeprefix("invalid structure: ")
        example = f"first: row {first[0] + 1}" + (f", {detail}" if kind == "an unreadable structure" else "")
        parts.append(f"{len(items)} with {kind} ({example})")
    return "; ".join(parts)


def _left_out_warnings(skipped: list[tuple[int, str]], n: int) -> list[str]:
    if not skipped:
        return []
    return [f"{len(skipped)} of {n} rows were left out of training: {_left_out_text(skipped)}."]


def _mixture_warnings(
    frame: pd.DataFrame, config: RunConfig, mols: list[Chem.Mol | None], usable: list[int], kind: str
) -> list[str]:
    """A note on salts and mixtures (several fragments) among the usable rows."""
    if not config.structure_column or not usable:
        return []
    if kind == "smiles":
        text = frame[config.structure_column].iloc[usable].astype(str)
        flags = text.str.contains(".", regex=False).to_numpy()
    elif config.standardize:
        return []  # fragments are gone after standardization; a molblock keeps no trace of them
    else:
        flags = np.array([chem.is_mixture(mols[i]) for i in usable], dtype=bool)
    if not flags.any():
        return []
    rows = [usable[k] for k in np.flatnonzero(flags)]
    first = f"first: row {rows[0] + 1}"
    if kind == "smiles":
        first += f", {frame[config.structure_column].iloc[rows[0]]}"
    if config.standardize:
        return [f"{len(rows)} structure(s) are mixtures of several fragments, such as salts ({first}); "
                "standardization kept the largest organic fragment of each."]
    return [f"{len(rows)} structure(s) are mixtures of several fragments, such as salts or solvates ({first}). "
            "They are used with every fragment; 'Standardize structures' (--standardize) keeps only the "
            "largest organic fragment (the parent compound)."]


def _duplicate_warnings(
    keys: list[str | None], usable: list[int], y: np.ndarray, targets: list[str], task: str,
    classes: list[list[str]] | None,
) -> list[str]:
    groups = chem.find_duplicates([keys[i] for i in usable])
    if not groups:
        return []
    first = next(iter(groups.values()))
    rows = " and ".join(str(usable[i] + 1) for i in first[:2])
    warnings = [
        f"{len(groups)} structure(s) occur more than once (same canonical SMILES; e.g. rows {rows}). "
        "Duplicates in both the training and the test set make the test figures look better than they are."
    ]
    rows_of = [[usable[i] for i in members] for members in groups.values()]
    for j, name in enumerate(targets):
        warnings += _conflict_warning(rows_of, y[:, j], y[usable, j], name, task, classes[j] if classes else None)
    return warnings


def _conflict_warning(
    groups: list[list[int]], y: np.ndarray, y_usable: np.ndarray, name: str, task: str, labels: list[str] | None
) -> list[str]:
    """Duplicated structures whose values of target ``name`` disagree beyond the tolerance."""
    if task == "classification":
        tolerance, why = 0.0, "are in different classes"
    else:
        with np.errstate(all="ignore"):
            spread = float(np.nanstd(y_usable)) if np.isfinite(y_usable).sum() > 1 else 0.0
        tolerance = CONFLICT_SPREAD * spread
        why = f"differ by more than {tolerance:.3g} (half the column's standard deviation)"
    conflicts = []
    for rows in groups:
        known = [r for r in rows if not np.isnan(y[r])]
        values = y[known]
        if len(known) > 1 and values.max() - values.min() > tolerance:
            conflicts.append((known, values))
    if not conflicts:
        return []

    def show(v: float) -> str:
        return labels[int(v)] if labels else _number(v)

    shown = "; ".join(
        f"rows {', '.join(str(r + 1) for r in rows)} ({', '.join(show(v) for v in values)})"
        for rows, values in conflicts[:_SHOWN]
    )
    more = f" and {len(conflicts) - _SHOWN} more" if len(conflicts) > _SHOWN else ""
    return [
        f"{len(conflicts)} structure(s) occur more than once with values of '{name}' that {why}: "
        f"{shown}{more}. Every row is trained on as given; check which value is right, or keep one per compound."
    ]


def _censored_warnings(frame: pd.DataFrame, targets: list[str], usable: list[int]) -> list[str]:
    """A note for each target trained on censored values (its qualifier column is filled)."""
    out = []
    marks_of = {frame.columns[frame.columns.get_loc(c) - 1]: c for c in qualified.qualifier_columns(frame)}
    for name in targets:
        if name not in marks_of:
            continue
        marks = frame[marks_of[name]].iloc[usable].dropna()
        if len(marks):
            kinds = ", ".join(f"'{q}'" for q in sorted(set(marks.astype(str))))
            out.append(
                f"{len(marks)} value(s) of '{name}' trained on carry a qualifier ({kinds}; see "
                f"'{marks_of[name]}'): each is learned as the number given, not as a bound."
            )
    return out
