"""A trained model in memory: fitted inputs, network(s), target scaling, and how to predict.

An ensemble is several networks of the same architecture on the same inputs; its
prediction is their mean and their spread (standard deviation) is reported as the
``<target>_uncertainty`` column. A single network with dropout can be predicted with
MC-dropout (:data:`~molstudio.core.uncertainty.intervals.MC_SAMPLES` passes with dropout on), whose
spread is reported the same way.

A regression model calibrated on validation compounds adds the interval
``<target>_lower`` / ``<target>_upper`` (:mod:`molstudio.core.uncertainty.intervals`); a model that
reads structures adds ``nearest_training_similarity`` and ``in_domain``
(:mod:`molstudio.core.uncertainty.domain`). A model on descriptor columns only has no domain columns.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import CACHE, FeatureCache
from molstudio.core.inputs import ModelInputs
from molstudio.core.run.config import RunConfig
from molstudio.core.tables import columns
from molstudio.core.uncertainty.domain import Domain
from molstudio.core.uncertainty.intervals import MC_SAMPLES, Calibration
from molstudio.core.uncertainty.probabilities import temper

ERROR_COLUMN = "not_predicted_because"
SIMILARITY_COLUMN = "nearest_training_similarity"
DOMAIN_COLUMN = "in_domain"
PREDICT_BATCH = 2048


def count_outside(predictions: pd.DataFrame) -> int:
    """Predicted compounds outside the applicability domain (unpredicted rows, None, not counted)."""
    if DOMAIN_COLUMN not in predictions.columns:
        return 0
    return int((predictions[DOMAIN_COLUMN] == False).sum())  # noqa: E712 (None: not predicted)


@torch.no_grad()
def network_outputs(
    network: nn.Module, inputs: ModelInputs, stored: Any, positions: torch.Tensor, task: str,
    y_mean: np.ndarray, y_std: np.ndarray, amp: bool = False, dropout: bool = False,
) -> np.ndarray:
    """One network's predictions (target units, or probabilities) for rows ``positions``
    of ``stored``, averaged over the input's views (e.g. several SMILES of a molecule).
    ``dropout`` keeps the dropout layers on (one MC-dropout pass)."""
    network.eval()
    if dropout:
        for module in network.modules():
            if isinstance(module, nn.Dropout):
                module.train()
    n_out = len(y_mean)
    total = np.zeros((len(positions), n_out), np.float64)
    views = inputs.views()
    for view in range(views):
        parts = []
        for start in range(0, len(positions), PREDICT_BATCH):
            idx = positions[start : start + PREDICT_BATCH]
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                parts.append(network(inputs.batch(stored, idx, view)).float())
        raw = torch.cat(parts).cpu().numpy() if parts else np.zeros((0, n_out), np.float32)
        total += 1.0 / (1.0 + np.exp(-raw)) if task == "classification" else raw * y_std + y_mean
    network.eval()
    return total / views


def has_dropout(network: nn.Module) -> bool:
    """Whether ``network`` has a dropout layer that drops anything (MC-dropout needs one)."""
    return any(isinstance(m, nn.Dropout) and m.p > 0 for m in network.modules())


@dataclass
class TrainedModel:
    config: RunConfig
    task: str
    inputs: ModelInputs
    networks: list[nn.Module]
    y_mean: np.ndarray
    y_std: np.ndarray
    classes: list[list[str]] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    domain: Domain | None = None
    calibration: Calibration | None = None
    #: classification: each target's share of its second class among the training compounds,
    #: toward which out-of-domain probabilities are pulled (molstudio.core.uncertainty.probabilities)
    class_share: np.ndarray | None = None

    @property
    def targets(self) -> list[str]:
        return list(self.config.targets)

    @property
    def is_ensemble(self) -> bool:
        return len(self.networks) > 1

    @property
    def device(self) -> torch.device:
        return next(self.networks[0].parameters()).device

    def interval_method(self, mc_dropout: bool = False) -> str | None:
        """How the prediction interval is estimated (see :mod:`molstudio.core.uncertainty.intervals`),
        None when the model has no calibrated interval. Raises MolStudioError when
        MC-dropout is asked of a model that cannot use it."""
        if mc_dropout:
            if self.is_ensemble:
                raise MolStudioError(
                    "MC-dropout is for single networks; this model is an ensemble, whose members' spread "
                    "already gives the uncertainty.", hint="Predict without MC-dropout.")
            if not has_dropout(self.networks[0]):
                raise MolStudioError(
                    "MC-dropout needs a network with dropout, and this model's network has none (dropout = 0).",
                    hint="Predict without MC-dropout, or train with a dropout above 0 (or an ensemble).")
        if self.calibration is None:
            return None
        method = "ensemble" if self.is_ensemble else "mc_dropout" if mc_dropout else "residual"
        if method not in self.calibration.fits:
            raise MolStudioError(
                "This model file holds no MC-dropout calibration (it was saved by an earlier MolStudio).",
                hint="Predict without MC-dropout, or train the model again.")
        return method

    def output_columns(self, mc_dropout: bool = False) -> list[str]:
        """The columns :meth:`predict_frame` returns, in its order."""
        interval = self.interval_method(mc_dropout) is not None
        cols: list[str] = []
        for t in self.targets:
            cols += [f"{t}_probability", f"{t}_predicted"] if self.task == "classification" else [f"{t}_predicted"]
            if interval:
                cols += [f"{t}_lower", f"{t}_upper"]
            if self.is_ensemble or mc_dropout:
                cols.append(f"{t}_uncertainty")
        if self.domain is not None:
            cols += [SIMILARITY_COLUMN, DOMAIN_COLUMN]
        return cols + [ERROR_COLUMN]

    def predict_encoded(self, encoded: Any, mc_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Mean prediction and spread for encoded rows: the ensemble's spread, the spread of
        ``mc_samples`` MC-dropout passes of a single network, or zeros."""
        stored = self.inputs.to_device(encoded, self.device)
        return self.predict_stored(stored, self.inputs.count(encoded), mc_samples=mc_samples)

    def predict_stored(self, stored: Any, n: int, positions: torch.Tensor | None = None,
                       mc_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`predict_encoded`, for the rows ``positions`` (default: all ``n``) already
        on the device (``to_device``). MC-dropout passes are seeded, so that the same rows
        predicted in the same batches give the same values."""
        if positions is None:
            positions = torch.arange(n, device=self.device)
        if mc_samples:
            with torch.random.fork_rng(devices=[] if self.device.type == "cpu" else [self.device]):
                torch.manual_seed(0)
                outs = np.stack([
                    network_outputs(self.networks[0], self.inputs, stored, positions, self.task, self.y_mean,
                                    self.y_std, dropout=True)
                    for _ in range(mc_samples)
                ])
        else:
            outs = np.stack([
                network_outputs(net, self.inputs, stored, positions, self.task, self.y_mean, self.y_std)
                for net in self.networks
            ])
        return outs.mean(axis=0), outs.std(axis=0)

    def check_table(self, frame: pd.DataFrame, structure_column: str | None = None) -> str | None:
        """Check that ``frame`` has what the model reads, before any row is predicted, and
        return its structure column (None for a model on descriptor columns only).

        The one check of a table against a model, for in-memory and streamed prediction
        alike: every descriptor column the model was trained on, each holding numbers, and
        a structure column when the model reads structures. A refusal names what differs.
        """
        needed = self.inputs.descriptor_columns
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise MolStudioError(
                f"The table to predict lacks {len(missing)} of the {len(needed)} descriptor column(s) the model "
                f"was trained on: {_names(missing)}.",
                hint=_similar_columns(missing, frame.columns, needed)
                or "Add these columns (same names, same units) to the table, or train a model on the columns it has.",
            )
        for name in needed:
            numbers, text = _descriptor_values(frame[name])
            if text.any() and not numbers.notna().any():
                raise MolStudioError(
                    f"The descriptor column '{name}' of the table to predict holds no numbers "
                    f"(e.g. '{frame[name][text].iloc[0]}'); the model was trained on numbers in it.",
                    hint="Check that the right file was chosen and that its columns are what their names say.",
                )
        if not self.inputs.needs_structures:
            return None
        if structure_column is not None:
            if structure_column not in frame.columns:
                raise MolStudioError(f"The structure column '{structure_column}' is missing from the table to predict.")
            return structure_column
        return self.structure_column_for(frame)

    def structure_column_for(self, frame: pd.DataFrame) -> str | None:
        """The column holding structures in a new table: the training name if present, else detected."""
        if not self.inputs.needs_structures:
            return None
        name = self.config.structure_column
        if name and name in frame.columns:
            return name
        detected = columns.detect_roles(frame).structure
        if detected is None:
            trained_on = f"the structures of a column named '{name}'" if name else "structures"
            raise MolStudioError(
                f"The model predicts from each compound's structure, and the table to predict has no column of "
                f"SMILES or structures (its columns: {_names([str(c) for c in frame.columns])}).",
                hint=f"The model was trained on {trained_on}; add a SMILES column to the table.",
            )
        return detected

    def predict_frame(
        self, frame: pd.DataFrame, cache: FeatureCache | None = CACHE, structure_column: str | None = None,
        mc_dropout: bool = False,
    ) -> pd.DataFrame:
        """Prediction columns for every row of ``frame`` (same index, same order), as
        :meth:`output_columns` lists them.

        The table is checked first (:meth:`check_table`). Rows whose structure cannot be
        read, or whose descriptor value is text rather than a number, get empty predictions
        and the reason in :data:`ERROR_COLUMN`; an empty descriptor value is filled as in
        training (the training median). ``mc_dropout`` predicts a single network with
        dropout on (:data:`~molstudio.core.uncertainty.intervals.MC_SAMPLES` passes).
        """
        n = len(frame)
        method = self.interval_method(mc_dropout)
        col = self.check_table(frame, structure_column)
        errors: list[str | None] = [None] * n
        mols: list[Any] = [None] * n
        keys: list[str | None] = [None] * n
        if col is not None:
            kind = "molblock" if col == "molblock" else "smiles"
            parsed = chem.parse_structures(frame[col].tolist(), kind=kind, standardize=self.config.standardize,
                                           canonical=cache is not None)
            mols, errors, keys = list(parsed.mols), list(parsed.errors), list(parsed.canonical)
            errors = [f"invalid structure: {e}" if e else None for e in errors]
        for name in self.inputs.descriptor_columns:
            _, text = _descriptor_values(frame[name])
            for i in np.flatnonzero(text.to_numpy()):
                errors[i] = errors[i] or f"the descriptor '{name}' is not a number: '{frame[name].iloc[i]}'"
        ok = np.array([e is None for e in errors], dtype=bool)
        pred = np.full((n, len(self.targets)), np.nan, dtype=np.float64)
        spread = pred.copy()
        similarity = np.full(n, np.nan)
        lower, upper = pred.copy(), pred.copy()
        if ok.any():
            idx = np.flatnonzero(ok)
            sub = frame.iloc[idx] if self.inputs.descriptor_columns else None
            encoded = self.inputs.encode([mols[i] for i in idx], [keys[i] for i in idx], sub, cache)
            pred[idx], spread[idx] = self.predict_encoded(encoded, MC_SAMPLES if mc_dropout else 0)
            if self.domain is not None:
                similarity[idx] = self.domain.similarity([mols[i] for i in idx], self.device)
                if self.task == "classification" and self.class_share is not None:
                    pred[idx], spread[idx] = temper(pred[idx], spread[idx], similarity[idx], self.domain.threshold,
                                                    self.class_share)
            if method is not None:
                assert self.calibration is not None  # interval_method names a method only when there is a calibration
                lower[idx], upper[idx] = self.calibration.interval(
                    method, pred[idx], spread[idx], similarity[idx] if self.domain is not None else None)
        out = pd.DataFrame(index=frame.index)
        for j, t in enumerate(self.targets):
            if self.task == "classification":
                labels = (self.classes or [["0", "1"]])[j]
                out[f"{t}_probability"] = pred[:, j]
                out[f"{t}_predicted"] = pd.array(
                    [None if np.isnan(p) else labels[int(p >= 0.5) if len(labels) > 1 else 0] for p in pred[:, j]],
                    dtype="object",
                )
            else:
                out[f"{t}_predicted"] = pred[:, j]
            if method is not None:
                out[f"{t}_lower"], out[f"{t}_upper"] = lower[:, j], upper[:, j]
            if self.is_ensemble or mc_dropout:
                out[f"{t}_uncertainty"] = spread[:, j]
        if self.domain is not None:
            out[SIMILARITY_COLUMN] = similarity
            out[DOMAIN_COLUMN] = pd.array(
                [None if np.isnan(s) else bool(s >= self.domain.threshold) for s in similarity], dtype="object")
        out[ERROR_COLUMN] = pd.array([e or "" for e in errors], dtype="object")
        return out


def _descriptor_values(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A descriptor column as numbers (NaN where empty or not a number) and the mask of cells
    that hold text which is not a number (an empty cell is missing, not text)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return col.astype(float), pd.Series(False, index=col.index)
    numbers = pd.to_numeric(col, errors="coerce")
    present = col.notna() & (col.astype(str).str.strip() != "")
    return numbers, present & numbers.isna()


def _names(names: list[str], shown: int = 8) -> str:
    listed = ", ".join(f"'{n}'" for n in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _similar_columns(missing: list[str], available: Any, needed: list[str]) -> str | None:
    """A hint naming the table's columns that look like missing ones (case, spaces, _ or -, a typo);
    a column the model reads under its own name is no candidate."""
    def norm(name: object) -> str:
        return re.sub(r"[\s_\-]+", "", str(name)).casefold()

    used = set(needed)
    available = [c for c in available if c not in used]
    by_norm = {norm(c): str(c) for c in available}
    texts = [str(c) for c in available] if len(available) <= 2000 else []  # difflib is quadratic
    pairs = []
    for name in missing[:20]:
        match = by_norm.get(norm(name)) or next(iter(difflib.get_close_matches(name, texts, 1, 0.85)), None)
        if match is not None:
            pairs.append(f"'{match}' for '{name}'")
    if not pairs:
        return None
    shown = "; ".join(pairs[:5]) + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
    return f"The table has similarly named columns ({shown}): rename them to the names the model was trained on."
