"""Convolutional network over the SMILES: filters of several widths, max over positions."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.architectures.sequence import (
    SequenceNetwork,
    masked_pool,
    shared_params,
)
from molstudio.core.params import Param, Schema


class SmilesCNN(SequenceNetwork):
    def __init__(self, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> None:
        widths = list(hparams["kernel_sizes"])
        filters = hparams["filters"]
        super().__init__(hparams, dims, filters * len(widths), n_outputs)
        embed = hparams["embed_dim"]
        # one branch per width: a stack of convolutions, "same" padding (zeros)
        self.branches = nn.ModuleList(
            nn.ModuleList(nn.Conv1d(embed if i == 0 else filters, filters, w, padding="same")
                          for i in range(hparams["layers"]))
            for w in widths
        )
        self.drop = nn.Dropout(float(hparams["dropout"]))

    def encode(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, L)
        x = self.drop(x).transpose(1, 2)  # (B, E, L)
        pooled = []
        for convs in self.branches:
            assert isinstance(convs, nn.ModuleList)  # built so in __init__
            h = x
            for conv in convs:
                # zero at padding after every layer: a batch's padding then reads exactly like
                # the zero padding of the convolution, so a longer neighbour changes nothing
                h = torch.relu(conv(h)) * keep
            pooled.append(masked_pool(h.transpose(1, 2), mask, "max"))
        return torch.cat(pooled, dim=1)


@MODELS.register("smiles_cnn")
class SmilesCNNArchitecture(Architecture):
    description = "Convolutional network over the SMILES (several filter widths), with randomized-SMILES augmentation."
    input_kind = "tokens"
    training_defaults = {"epochs": 60, "lr": 1e-3, "batch_size": 32, "patience": 20}
    schema = Schema(
        [
            Param("kernel_sizes", "int_list", [3, 5, 7], low=1, high=31,
                  help="Widths (in tokens) of the convolution filters, one set of filters per width."),
            Param("filters", "int", 48, low=1, high=4096, log=True,
                  help="Filters per width; each looks for one pattern of neighbouring tokens."),
            Param("layers", "int", 2, low=1, high=6,
                  help="Convolutions stacked per width; more layers see longer stretches of the SMILES."),
            *shared_params(embed_dim=64, head_sizes=[128], dropout=0.1),
        ]
    )

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        return SmilesCNN(hparams, dims, n_outputs)
