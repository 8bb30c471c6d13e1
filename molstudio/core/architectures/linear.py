"""Multiple linear regression (or logistic regression): no hidden layer."""

from __future__ import annotations

from typing import Any

from torch import nn

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.params import Schema


@MODELS.register("linear")
class Linear(Architecture):
    description = "Linear model: multiple linear (or logistic) regression on the features, no hidden layer."
    default_features = ("morgan_count", "rdkit2d")
    schema = Schema([])

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        return nn.Linear(dims["n_features"], n_outputs)
