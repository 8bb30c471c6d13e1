"""Atoms and bonds as feature codes, for graph networks.

A molecule is encoded once, on the host, as small integer *codes* (one per atom or
bond and per property: the element's slot, the degree, ...), not as one-hot vectors:
the codes take a tenth of the memory, are what the per-molecule cache holds, and are
expanded to one-hot features on the device, per batch (:func:`atom_one_hot`,
:func:`bond_one_hot`).

Bond ``k`` of a molecule gives the directed edges ``2k`` (begin -> end) and ``2k + 1``
(end -> begin), so the reverse of edge ``e`` is always ``e ^ 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from rdkit import Chem

#: bump when the featurization changes: a model file records it, and an older one is refused
VERSION = 1

ELEMENTS = ("H", "Li", "B", "C", "N", "O", "F", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "K", "Ca",
            "Fe", "Cu", "Zn", "As", "Se", "Br", "Sn", "I", "Pt", "Hg")
_ELEMENT_SLOT = {Chem.GetPeriodicTable().GetAtomicNumber(s): i for i, s in enumerate(ELEMENTS)}
DEGREES = (0, 1, 2, 3, 4, 5)
CHARGES = (-2, -1, 0, 1, 2)
CHIRALITY = (Chem.ChiralType.CHI_UNSPECIFIED, Chem.ChiralType.CHI_TETRAHEDRAL_CW,
             Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
HYDROGENS = (0, 1, 2, 3, 4)
HYBRIDIZATION = (Chem.HybridizationType.S, Chem.HybridizationType.SP, Chem.HybridizationType.SP2,
                 Chem.HybridizationType.SP3, Chem.HybridizationType.SP3D, Chem.HybridizationType.SP3D2)
BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)
STEREO = (Chem.BondStereo.STEREONONE, Chem.BondStereo.STEREOANY, Chem.BondStereo.STEREOZ,
          Chem.BondStereo.STEREOE, Chem.BondStereo.STEREOCIS, Chem.BondStereo.STEREOTRANS)

# One-hot blocks, each with a last "other" slot; then the flags (aromatic, in ring) and mass / 100.
ATOM_BLOCKS = (len(ELEMENTS) + 1, len(DEGREES) + 1, len(CHARGES) + 1, len(CHIRALITY) + 1,
               len(HYDROGENS) + 1, len(HYBRIDIZATION) + 1)
ATOM_FLAGS = 2
ATOM_FEATURES = sum(ATOM_BLOCKS) + ATOM_FLAGS + 1
# Bond type (with "other"), stereo (with "other"); then the flags conjugated and in ring.
BOND_BLOCKS = (len(BOND_TYPES) + 1, len(STEREO) + 1)
BOND_FLAGS = 2
BOND_FEATURES = sum(BOND_BLOCKS) + BOND_FLAGS
MASS_SCALE = 0.01
_OVERHEAD = 600  # bytes: four array headers and the dataclass

_DEGREE = {v: i for i, v in enumerate(DEGREES)}
_CHARGE = {v: i for i, v in enumerate(CHARGES)}
_CHIRAL = {v: i for i, v in enumerate(CHIRALITY)}
_HS = {v: i for i, v in enumerate(HYDROGENS)}
_HYBRID = {v: i for i, v in enumerate(HYBRIDIZATION)}
_BOND = {v: i for i, v in enumerate(BOND_TYPES)}
_STEREO = {v: i for i, v in enumerate(STEREO)}


@dataclass
class MolCodes:
    """One molecule: ``atoms`` (n_atoms, 8) codes, ``mass`` (n_atoms,), ``bonds`` (n_bonds, 4)
    codes and ``ends`` (n_bonds, 2) atom positions within the molecule."""

    atoms: np.ndarray
    mass: np.ndarray
    bonds: np.ndarray
    ends: np.ndarray

    @property
    def nbytes(self) -> int:
        """Memory held, Python object headers included (what the feature cache budgets)."""
        return self.atoms.nbytes + self.mass.nbytes + self.bonds.nbytes + self.ends.nbytes + _OVERHEAD


def _slot(table: dict, value, block: int) -> int:
    return table.get(value, block - 1)


def encode_molecule(mol: Chem.Mol | None) -> MolCodes:
    """Codes of ``mol``'s heavy atoms (explicit hydrogens are atoms too) and bonds; an empty
    graph for ``None``."""
    if mol is None:
        return MolCodes(np.zeros((0, 8), np.int8), np.zeros(0, np.float32),
                        np.zeros((0, 4), np.int8), np.zeros((0, 2), np.int32))
    atoms = np.array(
        [
            (
                _ELEMENT_SLOT.get(a.GetAtomicNum(), ATOM_BLOCKS[0] - 1),
                _slot(_DEGREE, a.GetTotalDegree(), ATOM_BLOCKS[1]),
                _slot(_CHARGE, a.GetFormalCharge(), ATOM_BLOCKS[2]),
                _slot(_CHIRAL, a.GetChiralTag(), ATOM_BLOCKS[3]),
                _slot(_HS, a.GetTotalNumHs(), ATOM_BLOCKS[4]),
                _slot(_HYBRID, a.GetHybridization(), ATOM_BLOCKS[5]),
                a.GetIsAromatic(),
                a.IsInRing(),
            )
            for a in mol.GetAtoms()
        ],
        dtype=np.int8,
    ).reshape(-1, 8)
    mass = np.array([a.GetMass() for a in mol.GetAtoms()], dtype=np.float32)
    bond_list = list(mol.GetBonds())
    bonds = np.array(
        [
            (
                _slot(_BOND, b.GetBondType(), BOND_BLOCKS[0]),
                _slot(_STEREO, b.GetStereo(), BOND_BLOCKS[1]),
                b.GetIsConjugated(),
                b.IsInRing(),
            )
            for b in bond_list
        ],
        dtype=np.int8,
    ).reshape(-1, 4)
    ends = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in bond_list], dtype=np.int32).reshape(-1, 2)
    return MolCodes(atoms, mass, bonds, ends)


def _multi_hot(codes: torch.Tensor, blocks: tuple[int, ...], n_flags: int, width: int) -> torch.Tensor:
    """One-hot blocks of the first ``len(blocks)`` code columns, then the flag columns as 0/1."""
    n_cat = len(blocks)
    offsets = torch.tensor((0,) + blocks[:-1], device=codes.device).cumsum(0)
    out = torch.zeros(codes.shape[0], width, device=codes.device)
    out.scatter_(1, codes[:, :n_cat].long() + offsets, 1.0)
    start = sum(blocks)
    out[:, start : start + n_flags] = codes[:, n_cat : n_cat + n_flags].float()
    return out


def atom_one_hot(codes: torch.Tensor, mass: torch.Tensor) -> torch.Tensor:
    """(n_atoms, ATOM_FEATURES) float features from codes and masses."""
    out = _multi_hot(codes, ATOM_BLOCKS, ATOM_FLAGS, ATOM_FEATURES)
    out[:, -1] = mass * MASS_SCALE
    return out


def bond_one_hot(codes: torch.Tensor) -> torch.Tensor:
    """(n_bonds, BOND_FEATURES) float features from codes."""
    return _multi_hot(codes, BOND_BLOCKS, BOND_FLAGS, BOND_FEATURES)
