"""Molecular graphs: atoms and bonds with their features, plus optional molecule-level features.

Each molecule is encoded once as small feature codes (:mod:`molstudio.core.featurize.graph_features`),
cached per canonical SMILES, and the whole set is stored as flat arrays with per-molecule
atom and bond offsets. :meth:`GraphInputs.batch` gathers any set of molecules on the
device with a handful of vectorized operations (no Python loop over molecules) into a
:class:`GraphBatch`, laid out as PyTorch Geometric lays out a batch (concatenated atoms,
edge indices shifted per molecule, an atom -> molecule vector), so PyG layers read it as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from molstudio.core.featurize import graph_features as gf
from molstudio.core.inputs.base import INPUTS, ModelInputs

CACHE_KEY = f"graph-codes-v{gf.VERSION}"


@dataclass
class GraphSet:
    """Encoded molecules on the host: codes concatenated over molecules, with offsets."""

    atoms: np.ndarray  # (n_atoms, 8) int8 codes
    mass: np.ndarray  # (n_atoms,) float32
    bonds: np.ndarray  # (n_bonds, 4) int8 codes
    ends: np.ndarray  # (n_bonds, 2) int32, atom positions within the molecule
    atom_offsets: np.ndarray  # (n_mols + 1,) int64
    bond_offsets: np.ndarray  # (n_mols + 1,) int64
    features: np.ndarray  # (n_mols, n_features) raw molecule-level features

    def __len__(self) -> int:
        return len(self.atom_offsets) - 1


@dataclass
class StoredGraphs:
    """A :class:`GraphSet` on the device, molecule-level features scaled."""

    atoms: torch.Tensor
    mass: torch.Tensor
    bonds: torch.Tensor
    ends: torch.Tensor
    atom_offsets: torch.Tensor
    bond_offsets: torch.Tensor
    features: torch.Tensor


@dataclass
class GraphBatch:
    """The network input for a set of molecules.

    Edge ``2k`` and ``2k + 1`` are the two directions of bond ``k``, so ``rev_edge`` is
    ``arange(n_edges) ^ 1``.
    """

    x: torch.Tensor  # (n_atoms, atom_features)
    edge_index: torch.Tensor  # (2, n_edges): source and destination atoms
    edge_attr: torch.Tensor  # (n_edges, bond_features)
    rev_edge: torch.Tensor  # (n_edges,)
    batch: torch.Tensor  # (n_atoms,) molecule of each atom, 0 .. n_mols - 1
    n_mols: int
    features: torch.Tensor  # (n_mols, n_features), possibly 0 columns


def _offsets(counts: list[int]) -> np.ndarray:
    out = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def graph_set(codes: list[gf.MolCodes], features: np.ndarray) -> GraphSet:
    """Concatenate per-molecule codes into one :class:`GraphSet`."""
    def cat(arrays: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
        return np.concatenate(arrays, axis=0) if arrays else empty

    return GraphSet(
        atoms=cat([c.atoms for c in codes], np.zeros((0, 8), np.int8)),
        mass=cat([c.mass for c in codes], np.zeros(0, np.float32)),
        bonds=cat([c.bonds for c in codes], np.zeros((0, 4), np.int8)),
        ends=cat([c.ends for c in codes], np.zeros((0, 2), np.int32)),
        atom_offsets=_offsets([len(c.atoms) for c in codes]),
        bond_offsets=_offsets([len(c.bonds) for c in codes]),
        features=features,
    )


def gather(stored: StoredGraphs, idx: torch.Tensor) -> GraphBatch:
    """The molecules at positions ``idx`` of ``stored`` as one batch, vectorized on the device."""
    idx = idx.long()
    a_start, b_start = stored.atom_offsets[idx], stored.bond_offsets[idx]
    n_atoms = stored.atom_offsets[idx + 1] - a_start
    n_bonds = stored.bond_offsets[idx + 1] - b_start
    total_atoms, total_bonds = (int(v) for v in torch.stack([n_atoms.sum(), n_bonds.sum()]).tolist())
    new_a_start = torch.cumsum(n_atoms, 0) - n_atoms  # where each molecule's atoms start in the batch
    new_b_start = torch.cumsum(n_bonds, 0) - n_bonds
    device = idx.device
    # position in the store = (store start - batch start) of the atom's molecule + position in the batch
    atom_pos = torch.repeat_interleave(a_start - new_a_start, n_atoms, output_size=total_atoms)
    atom_pos += torch.arange(total_atoms, device=device)
    bond_pos = torch.repeat_interleave(b_start - new_b_start, n_bonds, output_size=total_bonds)
    bond_pos += torch.arange(total_bonds, device=device)
    shift = torch.repeat_interleave(new_a_start, n_bonds, output_size=total_bonds)
    ends = stored.ends[bond_pos].long() + shift[:, None]
    n_mols = len(idx)
    return GraphBatch(
        x=gf.atom_one_hot(stored.atoms[atom_pos], stored.mass[atom_pos]),
        # flattened (begin, end) pairs are the sources of edges 2k, 2k+1; swapped, their destinations
        edge_index=torch.stack([ends.reshape(-1), ends.flip(1).reshape(-1)]),
        edge_attr=gf.bond_one_hot(stored.bonds[bond_pos]).repeat_interleave(2, dim=0),
        rev_edge=torch.arange(2 * total_bonds, device=device) ^ 1,
        batch=torch.repeat_interleave(torch.arange(n_mols, device=device), n_atoms, output_size=total_atoms),
        n_mols=n_mols,
        features=stored.features[idx],
    )


@INPUTS.register("graph")
class GraphInputs(ModelInputs):
    """Molecular graphs for message-passing networks."""

    def encode(self, mols, keys, frame, cache) -> GraphSet:
        codes = []
        for mol, key in zip(mols, keys):
            found = cache.get(CACHE_KEY, key) if (cache is not None and key and mol is not None) else None
            if found is None:
                found = gf.encode_molecule(mol)
                if cache is not None and key and mol is not None:
                    cache.put(CACHE_KEY, key, found)  # not an array: MolCodes, which the cache budgets by .nbytes too
            codes.append(found)
        return graph_set(codes, self.pipeline.compute(mols, keys, frame, cache))

    def concat(self, parts: list[GraphSet]) -> GraphSet:
        if len(parts) == 1:
            return parts[0]
        atom_shift = np.cumsum([0] + [p.atom_offsets[-1] for p in parts[:-1]])
        bond_shift = np.cumsum([0] + [p.bond_offsets[-1] for p in parts[:-1]])
        return GraphSet(
            atoms=np.concatenate([p.atoms for p in parts]),
            mass=np.concatenate([p.mass for p in parts]),
            bonds=np.concatenate([p.bonds for p in parts]),
            ends=np.concatenate([p.ends for p in parts]),
            atom_offsets=np.concatenate([[0]] + [p.atom_offsets[1:] + s for p, s in zip(parts, atom_shift)]),
            bond_offsets=np.concatenate([[0]] + [p.bond_offsets[1:] + s for p, s in zip(parts, bond_shift)]),
            features=np.concatenate([p.features for p in parts]),
        )

    def count(self, encoded: GraphSet) -> int:
        return len(encoded)

    def fit(self, encoded: GraphSet, n_train: int) -> None:
        self.pipeline.fit(encoded.features[:n_train])

    def dims(self) -> dict[str, int]:
        return {"atom_features": gf.ATOM_FEATURES, "bond_features": gf.BOND_FEATURES,
                "n_features": len(self.pipeline.feature_names())}

    def to_device(self, encoded: GraphSet, device: torch.device) -> StoredGraphs:
        def put(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a)).to(device)

        return StoredGraphs(
            atoms=put(encoded.atoms), mass=put(encoded.mass), bonds=put(encoded.bonds), ends=put(encoded.ends),
            atom_offsets=put(encoded.atom_offsets), bond_offsets=put(encoded.bond_offsets),
            features=put(self.pipeline.transform(encoded.features)),
        )

    def batch(self, stored: StoredGraphs, idx: torch.Tensor, view: int | None) -> GraphBatch:
        return gather(stored, idx)

    def manifest(self) -> dict[str, Any]:
        return {"kind": self.name, "featurization": gf.VERSION, **self.dims()}

    def load(self, manifest: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        """Fitted state from a model file; refuses sizes that do not match this featurization."""
        if manifest.get("featurization") != gf.VERSION:
            raise ValueError(f"atom featurization {manifest.get('featurization')!r}, this MolStudio has "
                             f"{gf.VERSION}")
        for key, expected in self.dims().items():
            if manifest.get(key) != expected:
                raise ValueError(f"{key} is {manifest.get(key)!r}, expected {expected}")
        super().load(manifest, tensors)
