"""The contract between the training loop and an architecture's input.

A :class:`ModelInputs` turns molecules (and table rows) into what a network reads.
The training loop and prediction only ever call these methods, so a new input kind
(graphs, tokens) needs no change to either:

1. :meth:`encode` — host-side work per molecule (features, graphs, tokens), in chunks;
   :meth:`concat` joins the chunks;
2. :meth:`fit` — statistics from the training rows only (feature scaling, vocabulary);
3. :meth:`to_device` — the encoded rows as tensors, moved to the device once;
4. :meth:`batch` — the network input for a set of row positions, vectorized, on the device.

Its fitted state goes into the model file as JSON (:meth:`manifest`) and arrays
(:meth:`state`); nothing is pickled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from rdkit import Chem

from molstudio.core.featurize.featurizers import FeatureCache
from molstudio.core.featurize.pipeline import FEATURE_STATS, FeaturePipeline
from molstudio.core.registry import Registry


class ModelInputs:
    """Base class; ``pipeline`` holds the molecule-level features (possibly none)."""

    name: ClassVar[str] = ""  # set by the registry

    def __init__(self, feature_specs: list[dict[str, Any]], hparams: dict[str, Any]) -> None:
        self.pipeline = FeaturePipeline(feature_specs)
        self.hparams = dict(hparams)

    @property
    def needs_structures(self) -> bool:
        return True

    @property
    def descriptor_columns(self) -> list[str]:
        return self.pipeline.descriptor_columns

    def encode(
        self, mols: Sequence[Chem.Mol | None], keys: Sequence[str | None], frame: pd.DataFrame | None,
        cache: FeatureCache | None,
    ) -> Any:
        raise NotImplementedError

    def concat(self, parts: list[Any]) -> Any:
        raise NotImplementedError

    def count(self, encoded: Any) -> int:
        """Number of molecules (rows) in an encoding."""
        return len(encoded)

    def fit(self, encoded: Any, n_train: int) -> None:
        """Fit on the first ``n_train`` encoded rows (the training set)."""
        raise NotImplementedError

    def dims(self) -> dict[str, int]:
        """Sizes the architecture's ``build`` needs (feature count, vocabulary size, ...)."""
        raise NotImplementedError

    def to_device(self, encoded: Any, device: torch.device) -> Any:
        raise NotImplementedError

    def batch(self, stored: Any, idx: torch.Tensor, view: int | None) -> Any:
        """Network input for row positions ``idx`` (a tensor on the device).

        ``view=None`` in training (random augmentation where the kind has it); at
        prediction, ``view`` runs over ``range(self.views())`` and outputs are averaged.
        """
        raise NotImplementedError

    def views(self) -> int:
        return 1

    def manifest(self) -> dict[str, Any]:
        """JSON-ready fitted state (besides the arrays of :meth:`state`)."""
        return {"kind": self.name}

    def state(self) -> dict[str, np.ndarray]:
        return self.pipeline.state()

    def state_prefixes(self) -> tuple[str, ...]:
        """Name prefixes of the arrays :meth:`state` writes into the model file."""
        return ("features.",)

    def load(self, manifest: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        """Fitted state from a model file; refuses feature scaling that does not fit the features
        (raises ValueError, which the model file's reader reports)."""
        self.pipeline.load_state(tensors)
        stats = self.pipeline.stats
        if set(stats) != set(FEATURE_STATS):
            raise ValueError("the feature scaling is incomplete")
        n_cont = int(self.pipeline.continuous_mask().sum())
        for name, values in stats.items():
            if values.shape != (n_cont,):
                raise ValueError(f"the feature scaling '{name}' has {values.size} values, the features "
                                 f"need {n_cont}")
        if (stats["scale"] <= 0).any() or (stats["low"] > stats["high"]).any():
            raise ValueError("the feature scaling holds a range or a scale that no training set gives")


INPUTS: Registry[ModelInputs] = Registry("input kind")


def make_inputs(kind: str, feature_specs: list[dict[str, Any]], hparams: dict[str, Any]) -> ModelInputs:
    return INPUTS.get(kind)(feature_specs, hparams)
