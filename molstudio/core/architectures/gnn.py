"""Graph neural networks built from PyTorch Geometric layers (GINE, GATv2) and pooling.

How PyTorch Geometric's batching is used: a PyG batch is the molecules' atoms
concatenated, their edge indices shifted by each molecule's first atom, and an
atom -> molecule vector. The graph input (:mod:`molstudio.core.inputs.graph`) produces
exactly that layout, but gathers it from the data set stored once on the device in a few
vectorized operations. ``torch_geometric.data.Batch.from_data_list`` would loop over the
molecules in Python for every batch (about 5x slower than the gather for 64 ESOL molecules
on a CPU) and needs every molecule's one-hot graph kept in memory, or copied to a GPU per
batch. The tests check that the two give the same batch. The layers, the pooling and the
attention read-out are PyG's own.

PyTorch Geometric is imported when a network is built, not when MolStudio starts
(it takes seconds to import).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from molstudio.core.architectures.base import MODELS, Architecture
from molstudio.core.architectures.mlp import ACTIVATIONS, feed_forward
from molstudio.core.errors import MolStudioError
from molstudio.core.inputs.graph import GraphBatch
from molstudio.core.params import Param, Schema

CONVS = ("gine", "gatv2")
POOLING = ("mean", "sum", "max", "attention")


class GNN(nn.Module):
    """Atom embedding, ``layers`` residual graph convolutions, pooling and a feed-forward head."""

    def __init__(
        self, atom_features: int, bond_features: int, n_features: int, n_outputs: int, conv: str, hidden: int,
        layers: int, heads: int, dropout: float, pooling: str, ffn_hidden: int, ffn_layers: int,
        activation: str, batch_norm: bool,
    ) -> None:
        super().__init__()
        from torch_geometric import nn as pyg

        self.embed = nn.Linear(atom_features, hidden)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for _ in range(layers):
            if conv == "gine":
                mlp = nn.Sequential(nn.Linear(hidden, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, hidden))
                self.convs.append(pyg.GINEConv(mlp, train_eps=True, edge_dim=bond_features))
            else:
                self.convs.append(pyg.GATv2Conv(hidden, hidden // heads, heads=heads, edge_dim=bond_features))
            self.norms.append(nn.BatchNorm1d(hidden) if batch_norm else nn.Identity())
        self.act = ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.pooling = pooling
        if pooling == "attention":
            self.pool = pyg.aggr.AttentionalAggregation(nn.Linear(hidden, 1))
        else:
            self.pool = {"mean": pyg.aggr.MeanAggregation, "sum": pyg.aggr.SumAggregation,
                         "max": pyg.aggr.MaxAggregation}[pooling]()
        self.head = feed_forward(hidden + n_features, [ffn_hidden] * ffn_layers, n_outputs, activation, dropout)

    def forward(self, g: GraphBatch) -> torch.Tensor:
        h = self.embed(g.x)
        for conv, norm in zip(self.convs, self.norms):
            h = h + self.dropout(self.act(norm(conv(h, g.edge_index, g.edge_attr))))
        mol = self.pool(h, g.batch, dim_size=g.n_mols)
        return self.head(torch.cat([mol, g.features], dim=1))


@MODELS.register("gnn")
class GraphNetwork(Architecture):
    description = "Graph neural network (GINE or GATv2 convolutions, PyTorch Geometric) on the molecular graph."
    input_kind = "graph"
    # a patience below the epochs, or early stopping could never end a run
    training_defaults = {"epochs": 30, "lr": 1e-3, "batch_size": 32, "patience": 10}
    schema = Schema(
        [
            Param("conv", "choice", "gine", choices=CONVS,
                  help="Graph convolution: GINE (graph isomorphism network with bond features) or GATv2 (attention)."),
            Param("hidden_size", "int", 128, low=8, high=2048, log=True, help="Size of each atom's hidden vector."),
            Param("layers", "int", 4, low=1, high=12, help="Number of graph convolutions (bonds away)."),
            Param("heads", "int", 4, low=1, high=16, help="Attention heads (GATv2 only; must divide the hidden size)."),
            Param("dropout", "float", 0.0, low=0.0, high=0.9,
                  help="Fraction of neurons switched off at random in training (regularization)."),
            Param("pooling", "choice", "mean", choices=POOLING,
                  help="How atom vectors become a molecular vector: mean, sum, max or learned attention."),
            Param("ffn_hidden_size", "int", 256, low=1, high=8192, log=True,
                  help="Neurons in each hidden layer of the feed-forward head."),
            Param("ffn_layers", "int", 1, low=0, high=8,
                  help="Hidden layers of the feed-forward head (0 = a linear read-out)."),
            Param("activation", "choice", "relu", choices=tuple(ACTIVATIONS), help="Non-linearity."),
            Param("batch_norm", "bool", True, help="Normalize each convolution's output over the batch."),
        ]
    )

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        hidden, heads = int(hparams["hidden_size"]), int(hparams["heads"])
        if hparams["conv"] == "gatv2" and hidden % heads:
            raise MolStudioError(f"The hidden size ({hidden}) must be a multiple of the number of heads ({heads}).")
        return GNN(
            dims["atom_features"], dims["bond_features"], dims["n_features"], n_outputs, hparams["conv"], hidden,
            int(hparams["layers"]), heads, float(hparams["dropout"]), hparams["pooling"],
            int(hparams["ffn_hidden_size"]), int(hparams["ffn_layers"]), hparams["activation"],
            bool(hparams["batch_norm"]),
        )
