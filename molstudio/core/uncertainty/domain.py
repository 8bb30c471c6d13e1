"""Applicability domain: how close a compound is to what the model was trained on.

The model file keeps the training compounds' Morgan fingerprints (radius 2, 2048 bits,
packed 8 bits a byte: 256 bytes a compound; at most :data:`MAX_COMPOUNDS`, a seeded
subsample beyond that). Each prediction gets the Tanimoto similarity to its nearest
training compound and an in-domain flag.

The threshold is chosen on validation data, by :data:`RULE`: the 5th percentile of the
validation compounds' nearest-training similarities, so that a compound is out of domain
when it is further from the training set than 19 in 20 of the compounds the model was
validated on. A run without validation compounds uses the training compounds' similarity
to their nearest *other* training compound instead.

A model that reads descriptor columns only has no structures and so no domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rdkit.Chem import rdFingerprintGenerator

RADIUS = 2
BITS = 2048
BYTES = BITS // 8
MAX_COMPOUNDS = 200_000
PERCENTILE = 5.0
RULE = "5th percentile of the validation compounds' similarity to their nearest training compound"
TENSOR = "domain.fingerprints"
_QUERY_BLOCK = 1024  # query fingerprints compared at once
_TRAIN_BLOCK = 16384  # training fingerprints unpacked at once (bounds memory: 16384 x 2048 floats)
LEAVE_ONE_OUT = 2000  # training compounds scored when there is no validation set
_KEEP_UNPACKED = 32768  # training compounds whose unpacked bits a model keeps between calls (<= 256 MiB)
_GENERATOR = rdFingerprintGenerator.GetMorganGenerator(radius=RADIUS, fpSize=BITS)


def fingerprints(mols: Sequence[Any]) -> np.ndarray:
    """Packed Morgan fingerprints, ``(n, 256)`` uint8; a missing molecule gives all zeros."""
    out = np.zeros((len(mols), BYTES), np.uint8)
    for i, mol in enumerate(mols):
        if mol is not None:
            out[i] = np.packbits(_GENERATOR.GetFingerprintAsNumPy(mol).astype(bool))
    return out


def _bits(packed: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.unpackbits(packed, axis=1)).to(device=device, dtype=torch.float32)


def nearest_similarity(query: np.ndarray, train: np.ndarray, exclude: np.ndarray | None = None,
                       device: torch.device | str = "cpu", train_bits: torch.Tensor | None = None) -> np.ndarray:
    """For each packed fingerprint in ``query``, the largest Tanimoto similarity to ``train``.

    The bit intersections are one matrix product per block (on ``device``: a GPU makes it
    far faster). ``train_bits`` is ``train`` already unpacked on ``device``, kept by the
    caller between calls. ``exclude[i]`` is a training row that query ``i`` is not compared with
    (itself, for leave-one-out). Two empty fingerprints count as similarity 0. Memory is
    bounded by the block sizes, whatever the number of compounds.
    """
    best = np.zeros(len(query), np.float64)
    if len(query) == 0 or len(train) == 0:
        return best
    device = torch.device(device)
    train_counts = torch.from_numpy(np.bitwise_count(train).sum(axis=1, dtype=np.int64)).to(device, torch.float32)
    with torch.no_grad():
        for q0 in range(0, len(query), _QUERY_BLOCK):
            q = _bits(query[q0 : q0 + _QUERY_BLOCK], device)
            q_counts = q.sum(dim=1)
            top = torch.zeros(len(q), device=device)
            for t0 in range(0, len(train), _TRAIN_BLOCK):
                t = (train_bits[t0 : t0 + _TRAIN_BLOCK] if train_bits is not None
                     else _bits(train[t0 : t0 + _TRAIN_BLOCK], device))
                common = q @ t.T
                union = q_counts[:, None] + train_counts[None, t0 : t0 + len(t)] - common
                sim = torch.where(union > 0, common / union.clamp(min=1), torch.zeros_like(common))
                if exclude is not None:
                    cols = torch.from_numpy(exclude[q0 : q0 + len(q)] - t0).to(device)
                    inside = (cols >= 0) & (cols < len(t))
                    rows = torch.arange(len(q), device=device)
                    sim[rows[inside], cols[inside]] = -1.0
                top = torch.maximum(top, sim.max(dim=1).values)
            best[q0 : q0 + len(q)] = top.cpu().numpy()
    return best


@dataclass
class Domain:
    """The training compounds' fingerprints and the in-domain threshold."""

    fingerprints: np.ndarray  # (n, 256) uint8
    threshold: float
    total: int  # training compounds before any subsampling
    _unpacked: torch.Tensor | None = field(default=None, repr=False, compare=False)

    def similarity(self, mols: Sequence[Any], device: torch.device | str = "cpu") -> np.ndarray:
        """Each molecule's Tanimoto similarity to its nearest training compound."""
        device = torch.device(device)
        bits = None
        if len(self.fingerprints) <= _KEEP_UNPACKED:  # streaming prediction calls this once per chunk
            if self._unpacked is None or self._unpacked.device != device:
                self._unpacked = _bits(self.fingerprints, device)
            bits = self._unpacked
        return nearest_similarity(fingerprints(mols), self.fingerprints, device=device, train_bits=bits)

    def in_domain(self, similarity: np.ndarray) -> np.ndarray:
        return similarity >= self.threshold

    def manifest(self) -> dict[str, Any]:
        return {"fingerprint": "morgan_bits", "radius": RADIUS, "bits": BITS, "compounds": len(self.fingerprints),
                "training_compounds": self.total, "threshold": float(self.threshold), "rule": RULE}

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], packed: np.ndarray) -> Domain:
        return cls(np.ascontiguousarray(packed, np.uint8), float(manifest["threshold"]),
                   int(manifest["training_compounds"]))


def fit_domain(train_mols: Sequence[Any], val_mols: Sequence[Any], seed: int = 0,
               device: torch.device | str = "cpu") -> tuple[Domain, np.ndarray]:
    """The domain of a model trained on ``train_mols``, its threshold chosen on ``val_mols``
    (see the module docstring), and the validation compounds' similarities."""
    train_mols = [m for m in train_mols if m is not None]
    total = len(train_mols)
    if total > MAX_COMPOUNDS:  # a seeded subsample keeps the file and the search bounded
        keep = np.sort(np.random.default_rng(seed).choice(total, MAX_COMPOUNDS, replace=False))
        train_mols = [train_mols[i] for i in keep]
    packed = fingerprints(train_mols)
    present = [m for m in val_mols if m is not None]
    if present:
        val_sim = nearest_similarity(fingerprints(present), packed, device=device)
        reference = val_sim
    else:
        picked = np.random.default_rng(seed).permutation(len(packed))[:LEAVE_ONE_OUT]
        reference = nearest_similarity(packed[picked], packed, exclude=picked, device=device) if len(packed) > 1 else np.ones(1)
        val_sim = np.zeros(0)
    sim = np.full(len(val_mols), np.nan)
    sim[[i for i, m in enumerate(val_mols) if m is not None]] = val_sim
    threshold = float(np.percentile(reference, PERCENTILE)) if len(reference) else 0.0
    return Domain(packed, threshold, total), sim
