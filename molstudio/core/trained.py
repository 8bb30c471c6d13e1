"""A trained model in memory: fitted features, network, target scaling, and how to predict."""

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
from molstudio.core.feature_pipeline import FeaturePipeline
from molstudio.core.featurizers import CACHE, FeatureCache

ERROR_COLUMN = "prediction_error"
PREDICT_BATCH = 4096


@dataclass
class TrainedModel:
    config: RunConfig
    task: str
    pipeline: FeaturePipeline
    network: nn.Module
    y_mean: np.ndarray
    y_std: np.ndarray
    classes: list[list[str]] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        return list(self.config.targets)

    def output_columns(self) -> list[str]:
        cols: list[str] = []
        for t in self.targets:
            if self.task == "classification":
                cols += [f"{t}_probability", f"{t}_predicted"]
            else:
                cols.append(f"{t}_predicted")
        return cols + [ERROR_COLUMN]

    @torch.no_grad()
    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        """Predictions (target units, or probabilities) for a scaled feature matrix."""
        self.network.eval()
        device = next(self.network.parameters()).device
        outs = []
        for start in range(0, len(x), PREDICT_BATCH):
            xb = torch.from_numpy(x[start : start + PREDICT_BATCH]).to(device)
            outs.append(self.network(xb).float().cpu().numpy())
        raw = np.concatenate(outs) if outs else np.zeros((0, len(self.targets)), np.float32)
        if self.task == "classification":
            return 1.0 / (1.0 + np.exp(-raw))
        return raw * self.y_std + self.y_mean

    def structure_column_for(self, frame: pd.DataFrame) -> str | None:
        """The column holding structures in a new table: the training name if present, else detected."""
        if not self.pipeline.needs_structures:
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
        missing = [c for c in self.pipeline.descriptor_columns if c not in frame.columns]
        if missing:
            raise MolStudioError(
                f"The table lacks the descriptor column(s) the model was trained on: {', '.join(missing)}.",
            )
        errors: list[str | None] = [None] * n
        mols: list[Any] = [None] * n
        keys: list[str | None] = [None] * n
        if self.pipeline.needs_structures:
            col = structure_column or self.structure_column_for(frame)
            kind = "molblock" if col == "molblock" else "smiles"
            parsed = chem.parse_structures(frame[col].tolist(), kind=kind, standardize=self.config.standardize)
            mols, errors, keys = list(parsed.mols), list(parsed.errors), list(parsed.canonical)
            errors = [f"invalid structure: {e}" if e else None for e in errors]
        ok = np.array([e is None for e in errors], dtype=bool)
        pred = np.full((n, len(self.targets)), np.nan, dtype=np.float64)
        if ok.any():
            idx = np.flatnonzero(ok)
            sub = frame.iloc[idx] if not self.pipeline.needs_structures or self.pipeline.descriptor_columns else None
            raw = self.pipeline.compute([mols[i] for i in idx], [keys[i] for i in idx], sub, cache)
            pred[idx] = self.predict_matrix(self.pipeline.transform(raw))
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
        out[ERROR_COLUMN] = pd.array([e or "" for e in errors], dtype="object")
        return out
