"""A trained model in memory: fitted inputs, network(s), target scaling, and how to predict.

An ensemble is several networks of the same architecture on the same inputs; its
prediction is their mean and their spread (standard deviation) is reported as the
``<target>_uncertainty`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from molstudio.core import chem, columns
from molstudio.core.config import RunConfig
from molstudio.core.errors import MolStudioError
from molstudio.core.featurizers import CACHE, FeatureCache
from molstudio.core.inputs import ModelInputs

ERROR_COLUMN = "not_predicted_because"
PREDICT_BATCH = 2048


@torch.no_grad()
def network_outputs(
    network: nn.Module, inputs: ModelInputs, stored: Any, positions: torch.Tensor, task: str,
    y_mean: np.ndarray, y_std: np.ndarray, amp: bool = False,
) -> np.ndarray:
    """One network's predictions (target units, or probabilities) for rows ``positions``
    of ``stored``, averaged over the input's views (e.g. several SMILES of a molecule)."""
    network.eval()
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
    return total / views


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

    @property
    def targets(self) -> list[str]:
        return list(self.config.targets)

    @property
    def is_ensemble(self) -> bool:
        return len(self.networks) > 1

    @property
    def device(self) -> torch.device:
        return next(self.networks[0].parameters()).device

    def output_columns(self) -> list[str]:
        cols: list[str] = []
        for t in self.targets:
            cols += [f"{t}_probability", f"{t}_predicted"] if self.task == "classification" else [f"{t}_predicted"]
            if self.is_ensemble:
                cols.append(f"{t}_uncertainty")
        return cols + [ERROR_COLUMN]

    def predict_encoded(self, encoded: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean prediction and ensemble spread (zeros for one network) for encoded rows."""
        return self.predict_stored(self.inputs.to_device(encoded, self.device), self.inputs.count(encoded))

    def predict_stored(self, stored: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`predict_encoded`, for ``n`` rows already on the device (``to_device``)."""
        positions = torch.arange(n, device=self.device)
        outs = np.stack([
            network_outputs(net, self.inputs, stored, positions, self.task, self.y_mean, self.y_std)
            for net in self.networks
        ])
        return outs.mean(axis=0), outs.std(axis=0)

    def structure_column_for(self, frame: pd.DataFrame) -> str | None:
        """The column holding structures in a new table: the training name if present, else detected."""
        if not self.inputs.needs_structures:
            return None
        name = self.config.structure_column
        if name and name in frame.columns:
            return name
        detected = columns.detect_roles(frame).structure
        if detected is None:
            raise MolStudioError(
                "No structure (SMILES) column was found in the table to predict.",
                hint=f"The model was trained on structures from a column named '{name}'.",
            )
        return detected

    def predict_frame(
        self, frame: pd.DataFrame, cache: FeatureCache | None = CACHE, structure_column: str | None = None
    ) -> pd.DataFrame:
        """Prediction columns for every row of ``frame`` (same index, same order).

        Rows whose structure cannot be read get empty predictions and the reason in
        :data:`ERROR_COLUMN`.
        """
        n = len(frame)
        missing = [c for c in self.inputs.descriptor_columns if c not in frame.columns]
        if missing:
            raise MolStudioError(
                f"The table lacks the descriptor column(s) the model was trained on: {', '.join(missing)}.",
            )
        errors: list[str | None] = [None] * n
        mols: list[Any] = [None] * n
        keys: list[str | None] = [None] * n
        if self.inputs.needs_structures:
            col = structure_column or self.structure_column_for(frame)
            kind = "molblock" if col == "molblock" else "smiles"
            parsed = chem.parse_structures(frame[col].tolist(), kind=kind, standardize=self.config.standardize)
            mols, errors, keys = list(parsed.mols), list(parsed.errors), list(parsed.canonical)
            errors = [f"invalid structure: {e}" if e else None for e in errors]
        ok = np.array([e is None for e in errors], dtype=bool)
        pred = np.full((n, len(self.targets)), np.nan, dtype=np.float64)
        spread = pred.copy()
        if ok.any():
            idx = np.flatnonzero(ok)
            sub = frame.iloc[idx] if self.inputs.descriptor_columns else None
            encoded = self.inputs.encode([mols[i] for i in idx], [keys[i] for i in idx], sub, cache)
            pred[idx], spread[idx] = self.predict_encoded(encoded)
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
            if self.is_ensemble:
                out[f"{t}_uncertainty"] = spread[:, j]
        out[ERROR_COLUMN] = pd.array([e or "" for e in errors], dtype="object")
        return out
