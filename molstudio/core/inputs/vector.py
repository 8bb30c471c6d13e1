"""Feature vectors (fingerprints, descriptors, a table's own columns), robustly scaled."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from molstudio.core.inputs.base import INPUTS, ModelInputs


@INPUTS.register("vector")
class VectorInputs(ModelInputs):
    """The feature matrix; a batch is a row slice of it on the device."""

    @property
    def needs_structures(self) -> bool:
        return self.pipeline.needs_structures

    def encode(self, mols, keys, frame, cache) -> np.ndarray:
        return self.pipeline.compute(mols, keys, frame, cache)

    def concat(self, parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=0)

    def fit(self, encoded: np.ndarray, n_train: int) -> None:
        self.pipeline.fit(encoded[:n_train])

    def dims(self) -> dict[str, int]:
        return {"n_features": len(self.pipeline.feature_names())}

    def to_device(self, encoded: np.ndarray, device: torch.device) -> torch.Tensor:
        return torch.from_numpy(self.pipeline.transform(encoded)).to(device)

    def batch(self, stored: torch.Tensor, idx: torch.Tensor, view: int | None) -> torch.Tensor:
        return stored[idx]

    def manifest(self) -> dict[str, Any]:
        return {"kind": self.name, "feature_count": len(self.pipeline.feature_names())}
