"""From a table and a run configuration to molecules, targets and usable rows.

This is where the column roles the user confirmed (or that were detected) are applied,
structures are parsed once, and rows that cannot be used are set aside with a reason,
keeping their original position.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from molstudio.core import chem, columns
from molstudio.core.config import RunConfig
from molstudio.core.errors import MolStudioError
from molstudio.core.featurizers import parse_feature_specs
from molstudio.core.models import MODELS


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


def resolve_config(config: RunConfig, frame: pd.DataFrame) -> RunConfig:
    """Fill what the configuration leaves to detection, and check what it names exists."""
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
    if arch.input_kind != "vector" and not config.structure_column:
        raise MolStudioError(
            f"The '{config.model}' architecture reads each molecule's structure, and this table has no "
            "structure (SMILES) column.",
            hint="Choose a feed-forward (mlp) or linear model on the table's descriptor columns.",
        )
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
    return config


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
            labels = classes[j] if classes else _class_labels(col, numeric)
            mapping = {lab: float(k) for k, lab in enumerate(labels)}
            values = col.map(lambda v: mapping.get(_label_text(v), np.nan))
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


def _class_labels(col: pd.Series, numeric: pd.Series) -> list[str]:
    labels = sorted({t for t in (_label_text(v) for v in col) if t is not None})
    if len(labels) > 2:
        raise MolStudioError(
            f"The column '{col.name}' holds {len(labels)} different classes; only two-class "
            "(yes/no, active/inactive) targets can be learned as classes.",
            hint="Treat it as a measured value (regression) instead.",
        )
    if len(labels) == 2 and set(labels) != {"0", "1"}:
        positive = [l for l in labels if l.lower() in ("1", "true", "yes", "active", "positive", "toxic")]
        if positive:
            labels = [l for l in labels if l != positive[0]] + positive
    return labels


def prepare_data(config: RunConfig, frame: pd.DataFrame) -> PreparedData:
    """Parse structures and targets; decide which rows can be trained on."""
    config = resolve_config(config, frame)
    n = len(frame)
    if config.structure_column:
        kind = "molblock" if config.structure_column == "molblock" else "smiles"
        parsed = chem.parse_structures(
            frame[config.structure_column].tolist(), kind=kind, standardize=config.standardize
        )
        mols, errors, keys = list(parsed.mols), list(parsed.errors), list(parsed.canonical)
    else:
        mols, errors = [None] * n, [None] * n
        keys = [None] * n
    y, classes = parse_targets(frame, config.targets, config.task)
    skipped: list[tuple[int, str]] = []
    usable: list[int] = []
    for i in range(n):
        if errors[i]:
            skipped.append((i, f"invalid structure: {errors[i]}"))
        elif np.isnan(y[i]).all():
            skipped.append((i, "no target value"))
        else:
            usable.append(i)
    if len(usable) < 2:
        raise MolStudioError(
            f"Only {len(usable)} row(s) have both a valid structure and a target value; at least 2 are needed.",
        )
    return PreparedData(
        warnings=_duplicate_warnings(keys, usable),
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


def _duplicate_warnings(keys: list[str | None], usable: list[int]) -> list[str]:
    groups = chem.find_duplicates([keys[i] for i in usable])
    if not groups:
        return []
    first = next(iter(groups.values()))
    rows = " and ".join(str(usable[i] + 1) for i in first[:2])
    return [
        f"{len(groups)} structure(s) occur more than once (same canonical SMILES; e.g. rows {rows}). "
        "Duplicates in both the training and the test set make the test figures look better than they are."
    ]
