"""Recurrent network (GRU or LSTM) reading the SMILES token by token."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.architectures.sequence import (
    SequenceNetwork,
    masked_pool,
    shared_params,
)
from molstudio.core.params import Param, Schema


class SmilesRNN(SequenceNetwork):
    def __init__(self, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> None:
        directions = 2 if hparams["bidirectional"] else 1
        super().__init__(hparams, dims, directions * hparams["hidden_size"], n_outputs)
        cell = nn.GRU if hparams["cell"] == "gru" else nn.LSTM
        layers = hparams["layers"]
        self.rnn = cell(hparams["embed_dim"], hparams["hidden_size"], num_layers=layers, batch_first=True,
                        bidirectional=directions == 2, dropout=float(hparams["dropout"]) if layers > 1 else 0.0)
        self.drop = nn.Dropout(float(hparams["dropout"]))
        self.pooling = hparams["pooling"]
        self.directions = directions

    def encode(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # packed: the backward direction starts at each SMILES' own last token, not at padding
        packed = pack_padded_sequence(self.drop(x), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.pooling == "last":
            h = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
            return torch.cat(list(h[-self.directions:]), dim=1)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return masked_pool(out, mask, self.pooling)


@MODELS.register("smiles_rnn")
class SmilesRNNArchitecture(Architecture):
    description = "Recurrent network (GRU or LSTM) reading the SMILES, with randomized-SMILES augmentation."
    input_kind = "tokens"
    training_defaults = {"epochs": 30, "lr": 3e-3, "batch_size": 32, "patience": 15, "grad_clip": 5.0}
    schema = Schema(
        [
            Param("cell", "choice", "gru", choices=("gru", "lstm"),
                  help="Recurrent unit: GRU (faster) or LSTM."),
            Param("hidden_size", "int", 128, low=4, high=2048, log=True,
                  help="Size of the recurrent state per direction."),
            Param("layers", "int", 1, low=1, high=6, help="Stacked recurrent layers."),
            Param("bidirectional", "bool", True,
                  help="Read the SMILES in both directions and join the two states."),
            Param("pooling", "choice", "mean", choices=("mean", "max", "last"),
                  help="How the per-token states become one vector: their mean, their maximum, "
                       "or the final state of each direction."),
            *shared_params(embed_dim=64, head_sizes=[128], dropout=0.1),
        ]
    )

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        return SmilesRNN(hparams, dims, n_outputs)
