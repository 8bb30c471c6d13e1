"""SMILES tokens for sequence models, with randomized-SMILES augmentation.

Each molecule is written as its canonical SMILES and ``K`` randomized SMILES (the same
molecule, atoms visited in another order). In training every batch reads one of them
at random per molecule, so the network learns the molecule rather than one spelling of
it; at prediction the outputs over the canonical and the first randomized SMILES are
averaged (:meth:`TokenInputs.views`).

Every sequence starts with ``<cls>``; a SMILES longer than ``max_length`` tokens is cut
after its first ``max_length`` tokens (the network reads the beginning of the molecule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from rdkit import Chem

from molstudio.core.featurize.smiles_tokens import (
    CLS,
    Vocabulary,
    randomized_smiles,
    tokenize,
)
from molstudio.core.inputs.base import INPUTS, ModelInputs
from molstudio.core.params import Param

#: hyperparameters every sequence architecture declares; the inputs read them
SEQUENCE_PARAMS = [
    Param("augment", "int", 10, low=0, high=100, label="Randomized SMILES (training)",
          help="Randomized SMILES written per molecule for training, besides the canonical one; each "
               "batch reads one of them at random (0 = canonical SMILES only)."),
    Param("predict_augment", "int", 4, low=0, high=100, label="Randomized SMILES (prediction)",
          help="Randomized SMILES whose predictions are averaged with the canonical one's "
               "(used only when training used randomized SMILES)."),
    Param("max_length", "int", 200, low=8, high=2000, label="Maximum SMILES length",
          help="Tokens (atoms, bonds, ring labels) read per SMILES; a longer SMILES is cut after this many."),
]
_CACHE_KEY = "randomized_smiles(n={n})"


@dataclass
class TokenEncoding:
    """Per molecule its SMILES variants (canonical first) and its molecule-level features."""

    smiles: list[list[str]]
    features: np.ndarray

    def __len__(self) -> int:
        return len(self.smiles)


class TokenStore(NamedTuple):
    ids: torch.Tensor  # (N, variants, L), compact integer type, <pad> = 0
    lengths: torch.Tensor  # (N, variants)
    features: torch.Tensor  # (N, F) scaled


class TokenBatch(NamedTuple):
    """What a sequence network reads: ids (B, L) int64, lengths (B,) int64, features (B, F)."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    features: torch.Tensor


def _setting(hparams: dict[str, Any], param: Param) -> int:
    return int(param.parse(hparams.get(param.name, param.default)))


@INPUTS.register("tokens")
class TokenInputs(ModelInputs):
    """SMILES variants tokenized against a vocabulary fitted on the training rows."""

    def __init__(self, feature_specs: list[dict[str, Any]], hparams: dict[str, Any]) -> None:
        super().__init__(feature_specs, hparams)
        # parsed with their bounds: a hostile model file cannot ask for a billion variants
        augment, predict_augment, max_length = (_setting(hparams, p) for p in SEQUENCE_PARAMS)
        self.augment = augment
        self.predict_augment = predict_augment if augment > 0 else 0
        self.n_random = max(self.augment, self.predict_augment)
        self.max_length = max_length
        self.vocabulary: Vocabulary | None = None

    def encode(self, mols, keys, frame, cache) -> TokenEncoding:
        smiles = [self._variants(mol, key, cache) for mol, key in zip(mols, keys)]
        return TokenEncoding(smiles, self.pipeline.compute(mols, keys, frame, cache))

    def _n_random(self) -> int:
        # Before fitting, the rows are for training (and its validation); once fitted, the
        # inputs only predict and need no more variants than the prediction averages.
        return self.n_random if self.vocabulary is None else self.predict_augment

    def _variants(self, mol, key: str | None, cache) -> list[str]:
        if mol is None:
            return [""] * (1 + self._n_random())
        canonical = key or Chem.MolToSmiles(mol)
        n = self._n_random()
        if not n:
            return [canonical]
        cache_key = _CACHE_KEY.format(n=n)
        row = cache.get(cache_key, canonical) if cache is not None else None
        if row is None:
            row = np.array(randomized_smiles(mol, n, canonical))
            if cache is not None:
                cache.put(cache_key, canonical, row)
        return [canonical, *row.tolist()]

    def concat(self, parts: list[TokenEncoding]) -> TokenEncoding:
        smiles = [s for p in parts for s in p.smiles]
        width = parts[0].features.shape[1] if parts else 0
        features = np.concatenate([p.features for p in parts]) if parts else np.zeros((0, width), np.float32)
        return TokenEncoding(smiles, features)

    def fit(self, encoded: TokenEncoding, n_train: int) -> None:
        self.vocabulary = Vocabulary.fit(tokenize(s) for variants in encoded.smiles[:n_train] for s in variants)
        self.pipeline.fit(encoded.features[:n_train])

    def dims(self) -> dict[str, int]:
        if self.vocabulary is None:
            raise ValueError("the SMILES vocabulary has not been fitted")
        return {
            "vocab_size": len(self.vocabulary),
            "max_length": self.max_length + 1,  # with <cls>
            "n_features": len(self.pipeline.feature_names()),
        }

    def to_device(self, encoded: TokenEncoding, device: torch.device) -> TokenStore:
        vocab = self.vocabulary
        if vocab is None:
            raise ValueError("the SMILES vocabulary has not been fitted")
        n = len(encoded)
        n_var = min((len(v) for v in encoded.smiles), default=1)
        cls = vocab.index[CLS]
        rows = [[[cls, *vocab.ids(tokenize(s)[: self.max_length])] for s in variants[:n_var]]
                for variants in encoded.smiles]
        width = max((len(r) for variants in rows for r in variants), default=1)
        dtype = np.uint8 if len(vocab) <= 256 else np.int16
        ids = np.zeros((n, n_var, width), dtype=dtype)
        lengths = np.ones((n, n_var), dtype=np.int16)
        for i, variants in enumerate(rows):
            for v, r in enumerate(variants):
                ids[i, v, : len(r)] = r
                lengths[i, v] = len(r)
        features = self.pipeline.transform(encoded.features)
        return TokenStore(torch.from_numpy(ids).to(device), torch.from_numpy(lengths).to(device),
                          torch.from_numpy(np.ascontiguousarray(features, np.float32)).to(device))

    def batch(self, stored: TokenStore, idx: torch.Tensor, view: int | None) -> TokenBatch:
        n_train_variants = 1 + min(self.augment, stored.ids.shape[1] - 1)
        if view is None and n_train_variants > 1:
            variant: torch.Tensor | int = torch.randint(0, n_train_variants, (len(idx),), device=idx.device)
        else:
            variant = 0 if view is None else view
        lengths = stored.lengths[idx, variant].long()
        longest = int(lengths.max()) if len(idx) else 1
        tokens = stored.ids[idx, variant, :longest].long()
        return TokenBatch(tokens, lengths, stored.features[idx])

    def views(self) -> int:
        return 1 + self.predict_augment

    def manifest(self) -> dict[str, Any]:
        if self.vocabulary is None:
            raise ValueError("the SMILES vocabulary has not been fitted")
        return {
            "kind": self.name,
            "vocabulary": list(self.vocabulary.tokens),
            "max_length": self.max_length,
            "feature_count": len(self.pipeline.feature_names()),
        }

    def load(self, manifest: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        self.vocabulary = Vocabulary.from_json(manifest["vocabulary"])
        if manifest.get("max_length") != self.max_length:
            raise ValueError("the maximum SMILES length does not match the hyperparameters")
        if manifest.get("feature_count") != len(self.pipeline.feature_names()):
            raise ValueError("the feature count does not match the features")
        super().load(manifest, tensors)
