"""The fitted chain from molecules/columns to the network's input matrix.

Continuous blocks (RDKit descriptors, a table's own descriptor columns) are made safe
and comparable with statistics from the training rows only:

1. non-finite values are replaced by the training median;
2. values are clipped to the training range (an extreme test compound cannot
   produce a huge input);
3. a robust z-score: centre = median, scale = IQR / 1.349, falling back to the
   standard deviation, and a column that is constant in training becomes 0;
4. the z-score is clipped to ±``Z_CLIP``.

A plain z-score on RDKit descriptors can give inputs of 10^6 for a descriptor whose
training spread is tiny; steps 2 and 4 bound every input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from molstudio.core.featurize.featurizers import (
    CACHE,
    FeatureCache,
    compute_block,
    make_featurizer,
)

Z_CLIP = 6.0
#: the fitted scaling, one value per continuous feature each (saved in the model file)
FEATURE_STATS = ("median", "low", "high", "scale", "constant")
_EPS = 1e-9


class FeaturePipeline:
    """Featurizer specs plus the scaling fitted on the training rows."""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        self.specs = [dict(s) for s in specs]
        self.featurizers = [make_featurizer(s) for s in self.specs]
        self.stats: dict[str, np.ndarray] = {}

    @property
    def needs_structures(self) -> bool:
        return any(f.needs_structures for f in self.featurizers)

    @property
    def descriptor_columns(self) -> list[str]:
        cols: list[str] = []
        for f in self.featurizers:
            if not f.needs_structures:
                cols += f.feature_names()
        return cols

    def feature_names(self) -> list[str]:
        return [n for f in self.featurizers for n in f.feature_names()]

    def continuous_mask(self) -> np.ndarray:
        return np.concatenate(
            [np.zeros(0, dtype=bool)]
            + [np.full(len(f.feature_names()), f.continuous, dtype=bool) for f in self.featurizers]
        )

    @property
    def is_fitted(self) -> bool:
        return bool(self.stats)

    def compute(
        self,
        mols: Sequence[Chem.Mol | None],
        keys: Sequence[str | None],
        frame: pd.DataFrame | None,
        cache: FeatureCache | None = CACHE,
    ) -> np.ndarray:
        """Raw (unscaled) feature matrix; NaN where a value could not be computed."""
        blocks = [compute_block(f, mols, keys, frame, cache) for f in self.featurizers]
        if not blocks:  # a graph or sequence model without molecule-level features
            return np.zeros((len(mols), 0), np.float32)
        return np.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]

    def fit(self, raw_train: np.ndarray) -> FeaturePipeline:
        cont = self.continuous_mask()
        x = raw_train[:, cont].astype(np.float64)
        if x.shape[1] == 0:  # fingerprints only: nothing to scale
            empty = np.zeros(0, np.float32)
            self.stats = {k: empty for k in FEATURE_STATS}
            return self
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(x, axis=0)
                lo = np.nanmin(x, axis=0)
                hi = np.nanmax(x, axis=0)
                q1, q3 = np.nanpercentile(x, [25, 75], axis=0)
                std = np.nanstd(x, axis=0)
        missing = ~np.isfinite(median)
        median[missing], lo[missing], hi[missing] = 0.0, 0.0, 0.0
        scale = (q3 - q1) / 1.349
        small = ~(scale > _EPS * np.maximum(1.0, np.abs(median)))
        scale[small] = std[small]
        constant = ~(scale > _EPS * np.maximum(1.0, np.abs(median))) | ~np.isfinite(scale) | missing
        scale[constant] = 1.0
        self.stats = {
            "median": median.astype(np.float32),
            "low": lo.astype(np.float32),
            "high": hi.astype(np.float32),
            "scale": scale.astype(np.float32),
            "constant": constant.astype(np.float32),
        }
        return self

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Scaled matrix, every value finite and bounded."""
        out = np.array(raw, dtype=np.float32, copy=True)
        cont = self.continuous_mask()
        # in place where a block is the whole matrix: boolean column indexing copies it
        # (a million compounds x 2048 counts made prediction wait on memory traffic)
        if cont.any():
            s = self.stats
            x = out if cont.all() else out[:, cont]
            np.copyto(x, np.broadcast_to(s["median"], x.shape), where=~np.isfinite(x))
            np.clip(x, s["low"], s["high"], out=x)
            x -= s["median"]
            x /= s["scale"]
            x[:, s["constant"] > 0.5] = 0.0
            np.clip(x, -Z_CLIP, Z_CLIP, out=x)
            if x is not out:
                out[:, cont] = x
        fp = ~cont
        if fp.any():
            block = out if fp.all() else out[:, fp]
            np.copyto(block, 0.0, where=~np.isfinite(block))
            if block is not out:
                out[:, fp] = block
        return out

    def state(self) -> dict[str, np.ndarray]:
        return {f"features.{k}": v for k, v in self.stats.items()}

    def load_state(self, tensors: dict[str, np.ndarray]) -> None:
        self.stats = {
            k.split(".", 1)[1]: np.asarray(v, dtype=np.float32)
            for k, v in tensors.items()
            if k.startswith("features.")
        }
