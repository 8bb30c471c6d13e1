"""What the SMILES sequence architectures share: token embedding, padding mask, masked
pooling, and the feed-forward head that also reads the molecule-level features.

Padding never reaches the output: padded embeddings are zeroed and every pooling
ignores padded positions, so a molecule's prediction does not depend on the longest
SMILES in its batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from molstudio.core.architectures.mlp import feed_forward
from molstudio.core.inputs.tokens import SEQUENCE_PARAMS, TokenBatch
from molstudio.core.params import Param

EVAL_CHUNK = 128


def shared_params(embed_dim: int, head_sizes: list[int], dropout: float) -> list[Param]:
    """Embedding, head and dropout settings plus the SMILES input settings."""
    return [
        Param("embed_dim", "int", embed_dim, low=4, high=1024, log=True, label="Token embedding size",
              help="Length of the vector learned for each SMILES token."),
        Param("head_sizes", "int_list", head_sizes, low=1, high=8192,
              help="Hidden layers of the feed-forward head on the pooled sequence (and any "
                   "molecule-level features), e.g. 128 or 256,64."),
        Param("dropout", "float", dropout, low=0.0, high=0.9,
              help="Fraction of activations switched off at random in training (regularization)."),
        *SEQUENCE_PARAMS,
    ]


def padding_mask(batch: TokenBatch) -> torch.Tensor:
    """(B, L) True at real tokens, False at padding."""
    positions = torch.arange(batch.tokens.shape[1], device=batch.tokens.device)
    return positions[None, :] < batch.lengths[:, None]


def masked_pool(h: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """Pool (B, L, D) over the real positions only: ``mean`` or ``max``."""
    m = mask.unsqueeze(-1)
    if how == "max":
        return h.masked_fill(~m, float("-inf")).amax(dim=1)
    return (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1).to(h.dtype)


class SequenceNetwork(nn.Module):
    """Embedding → :meth:`encode` (the architecture) → pooled vector ⊕ features → head."""

    def __init__(self, hparams: dict[str, Any], dims: dict[str, int], pooled_dim: int, n_outputs: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(dims["vocab_size"], hparams["embed_dim"], padding_idx=0)
        self.n_features = dims["n_features"]
        self.head = feed_forward(pooled_dim + self.n_features, list(hparams["head_sizes"]), n_outputs,
                                 "relu", float(hparams["dropout"]))

    def encode(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, L, E) embeddings, zero at padding → (B, pooled_dim)."""
        raise NotImplementedError

    def forward(self, batch: TokenBatch) -> torch.Tensor:
        if self.training or len(batch.lengths) <= EVAL_CHUNK:
            return self._forward(batch)
        # Prediction batches are large (thousands of rows): read them in chunks of similar
        # length, so short SMILES are not padded to the longest one of the whole batch.
        order = torch.argsort(batch.lengths)
        outs = []
        for part in order.split(EVAL_CHUNK):
            lengths = batch.lengths[part]
            tokens = batch.tokens[part, : int(lengths.max())]
            outs.append(self._forward(TokenBatch(tokens, lengths, batch.features[part])))
        out = torch.cat(outs)
        return torch.empty_like(out).index_copy_(0, order, out)

    def _forward(self, batch: TokenBatch) -> torch.Tensor:
        mask = padding_mask(batch)
        x = self.embed(batch.tokens) * mask.unsqueeze(-1)
        pooled = self.encode(x, mask, batch.lengths)
        if self.n_features:
            pooled = torch.cat([pooled, batch.features.to(pooled.dtype)], dim=1)
        return self.head(pooled)
