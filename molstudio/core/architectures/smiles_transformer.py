"""Small transformer encoder over the SMILES tokens."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.architectures.sequence import (
    SequenceNetwork,
    masked_pool,
    shared_params,
)
from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """(length, dim) fixed positional encoding of "Attention is all you need"."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return table


class SmilesTransformer(SequenceNetwork):
    positions: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> None:
        dim = hparams["embed_dim"]
        if dim % hparams["heads"]:
            raise MolStudioError(
                f"The token embedding size ({dim}) must be a multiple of the number of attention heads "
                f"({hparams['heads']}).",
                hint="Choose a number of heads that divides the embedding size, e.g. 4 for 64.",
            )
        super().__init__(hparams, dims, dim, n_outputs)
        layer = nn.TransformerEncoderLayer(
            dim, hparams["heads"], hparams["feedforward"], float(hparams["dropout"]),
            activation="gelu", batch_first=True, norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, hparams["layers"], norm=nn.LayerNorm(dim),
                                             enable_nested_tensor=False)
        self.register_buffer("positions", sinusoidal_positions(dims["max_length"], dim), persistent=False)
        self.pooling = hparams["pooling"]

    def encode(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # embeddings start at unit variance (no sqrt(dim) factor) so positions are not drowned out
        h = x + self.positions[: x.shape[1]].to(x.dtype)
        h = self.encoder(h, src_key_padding_mask=~mask)
        if self.pooling == "cls":
            return h[:, 0]  # every sequence starts with <cls>
        return masked_pool(h, mask, "mean")


@MODELS.register("smiles_transformer")
class SmilesTransformerArchitecture(Architecture):
    description = "Transformer encoder over the SMILES tokens (self-attention), with randomized-SMILES augmentation."
    input_kind = "tokens"
    training_defaults = {"epochs": 50, "lr": 1e-3, "batch_size": 32, "patience": 20, "grad_clip": 1.0}
    schema = Schema(
        [
            Param("layers", "int", 2, low=1, high=12, help="Stacked self-attention layers."),
            Param("heads", "int", 4, low=1, high=32,
                  help="Attention heads per layer; the token embedding size must be a multiple of it."),
            Param("feedforward", "int", 128, low=4, high=8192, log=True,
                  help="Width of the feed-forward block inside each layer."),
            Param("pooling", "choice", "mean", choices=("mean", "cls"),
                  help="One vector per molecule: the mean over tokens, or the leading <cls> token's output."),
            # no dropout by default: on a CPU, drawing the masks (attention weights included) took
            # a quarter of each step, and on ESOL the accuracy it bought was within seed noise
            *shared_params(embed_dim=64, head_sizes=[128], dropout=0.0),
        ]
    )

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        return SmilesTransformer(hparams, dims, n_outputs)
