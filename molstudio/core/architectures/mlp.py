"""Feed-forward network on fingerprints or descriptors."""

from __future__ import annotations

from typing import Any

from torch import nn

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.params import Param, Schema

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "selu": nn.SELU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def feed_forward(
    n_inputs: int,
    hidden_sizes: list[int],
    n_outputs: int,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """Stack of Linear → (BatchNorm) → activation → (Dropout) blocks and a linear output."""
    layers: list[nn.Module] = []
    width = n_inputs
    for size in hidden_sizes:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


@MODELS.register("mlp")
class MLP(Architecture):
    description = "Feed-forward neural network (multilayer perceptron) on fingerprints or descriptors."
    default_features = ("morgan_count", "rdkit2d")
    schema = Schema(
        [
            Param("hidden_sizes", "int_list", [512, 256], low=1, high=8192,
                  help="Number of neurons in each hidden layer, e.g. 16,16 for two layers of 16."),
            Param("activation", "choice", "relu", choices=tuple(ACTIVATIONS),
                  help="Non-linearity after each hidden layer."),
            Param("dropout", "float", 0.05, low=0.0, high=0.9,
                  help="Fraction of neurons switched off at random in training (regularization)."),
            Param("batch_norm", "bool", False,
                  help="Normalize each hidden layer's outputs over the batch."),
        ]
    )

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        return feed_forward(
            dims["n_features"],
            list(hparams["hidden_sizes"]),
            n_outputs,
            hparams["activation"],
            float(hparams["dropout"]),
            bool(hparams["batch_norm"]),
        )
