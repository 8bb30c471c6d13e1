"""Predictions for a molecule with each of its atoms masked, through the model's own input encoding.

:func:`masked_predictions` returns the model's prediction for the whole molecule and, for
every atom ``i``, its prediction when atom ``i`` is masked. What "masked" means follows what
the network reads, so the difference is what the network itself attributes to the atom:

* Morgan fingerprints (counts or bits): the circular environments that contain atom ``i``
  are taken out of the fingerprint (a count drops by the number of such environments; a bit
  goes off when no other environment sets it), as in RDKit's similarity maps;
* other structure-based features (RDKit 2D descriptors): recomputed for the molecule with
  atom ``i`` replaced by an unspecified atom (``*``: no element, hydrogens or charge, bonds
  kept); a descriptor RDKit cannot compute for it keeps the whole molecule's value;
* a table's own descriptor columns: unchanged (they do not depend on the atoms);
* molecular graphs: atom ``i``'s features and the features of its bonds are set to zero
  (the atom stays in the graph, as an atom about which nothing is known);
* SMILES tokens: atom ``i``'s token becomes the padding token (which the network reads as
  nothing) in every SMILES the prediction averages over (the canonical and the randomized ones).

Ensembles: each network's outputs are averaged, as in prediction.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from rdkit import Chem, rdBase
from rdkit.Chem import rdFingerprintGenerator

from molstudio.core.featurize import graph_features as gf
from molstudio.core.featurize.featurizers import Featurizer, _Morgan
from molstudio.core.featurize.smiles_tokens import tokenize
from molstudio.core.inputs.graph import GraphInputs, graph_set
from molstudio.core.inputs.tokens import TokenEncoding, TokenInputs
from molstudio.core.trained.model import TrainedModel

#: atoms per graph batch when many masked copies of a large molecule are read at once
_GRAPH_BATCH_ATOMS = 50_000


def masked_predictions(
    model: TrainedModel, mol: Chem.Mol, key: str, row: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """The prediction for ``mol`` (one value per target: target units, or the probability of
    the second class) and, row ``i``, the prediction with atom ``i`` masked: shapes (T,), (n_atoms, T).

    ``key`` is the molecule's canonical SMILES; ``row`` the compound's one-row table when the
    model also reads descriptor columns.
    """
    features = masked_features(model.inputs.pipeline.featurizers, mol, row)
    n = mol.GetNumAtoms()
    if isinstance(model.inputs, GraphInputs):
        out = _graph_outputs(model, mol, features)
    elif isinstance(model.inputs, TokenInputs):
        out = _token_outputs(model, mol, key, row, features)
    else:  # vector: the feature matrix is the whole input
        out = model.predict_stored(model.inputs.to_device(features, model.device), n + 1)[0]
    return out[0], out[1:]


def masked_features(featurizers: list[Featurizer], mol: Chem.Mol, row: pd.DataFrame | None) -> np.ndarray:
    """Raw molecule-level features: row 0 of the whole molecule, row ``1 + i`` with atom ``i`` masked."""
    n = mol.GetNumAtoms()
    blocks = []
    for featurizer in featurizers:
        full = featurizer.compute([mol], row if not featurizer.needs_structures else None)[0]
        block = np.repeat(full[None, :], n + 1, axis=0)
        if isinstance(featurizer, _Morgan):
            block[1:] = _morgan_masked(featurizer, mol)
        elif featurizer.needs_structures:
            masked = featurizer.compute([_with_unknown_atom(mol, i) for i in range(n)], None)
            block[1:] = np.where(np.isnan(masked), full[None, :], masked)
        blocks.append(block)
    if not blocks:
        return np.zeros((n + 1, 0), np.float32)
    return np.concatenate(blocks, axis=1).astype(np.float32, copy=False)


def _morgan_masked(featurizer: _Morgan, mol: Chem.Mol) -> np.ndarray:
    """(n_atoms, size) fingerprints, row ``i`` without the environments that contain atom ``i``."""
    radius, size = featurizer.params["radius"], featurizer.params["size"]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
    extra = rdFingerprintGenerator.AdditionalOutput()
    extra.AllocateBitInfoMap()
    counts = generator.GetCountFingerprintAsNumPy(mol, additionalOutput=extra).astype(np.float32)
    masked = np.repeat(counts[None, :], mol.GetNumAtoms(), axis=0)
    for bit, environments in extra.GetBitInfoMap().items():
        for centre, r in environments:
            for atom in environment_atoms(mol, centre, r):
                masked[atom, bit] -= 1
    return masked if featurizer.counts else (masked > 0).astype(np.float32)


def environment_atoms(mol: Chem.Mol, centre: int, radius: int) -> set[int]:
    """Atoms of the circular environment of ``radius`` bonds around atom ``centre``."""
    atoms = {centre}
    for bond in Chem.FindAtomEnvironmentOfRadiusN(mol, radius, centre) if radius else ():
        b = mol.GetBondWithIdx(bond)
        atoms.update((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))
    return atoms


def _with_unknown_atom(mol: Chem.Mol, index: int) -> Chem.Mol:
    """``mol`` with atom ``index`` replaced by ``*`` (no element, hydrogens or charge; bonds kept)."""
    rw = Chem.RWMol(mol)
    atom = rw.GetAtomWithIdx(index)
    atom.SetAtomicNum(0)
    atom.SetIsotope(0)
    atom.SetFormalCharge(0)
    atom.SetNumExplicitHs(0)
    atom.SetNoImplicit(True)
    out = rw.GetMol()
    with rdBase.BlockLogs():
        try:
            Chem.SanitizeMol(out)
        except Exception:  # still usable for most descriptors; the others keep the whole molecule's value
            out.UpdatePropertyCache(strict=False)
            Chem.FastFindRings(out)
    return out


def _in_units(model: TrainedModel, raw: np.ndarray) -> np.ndarray:
    """Network outputs in the target's units (probabilities for classification), as prediction gives them."""
    if model.task == "classification":
        return 1.0 / (1.0 + np.exp(-raw))
    return raw * model.y_std + model.y_mean


@torch.no_grad()
def _graph_outputs(model: TrainedModel, mol: Chem.Mol, features: np.ndarray) -> np.ndarray:
    inputs = model.inputs
    n = mol.GetNumAtoms()
    codes = gf.encode_molecule(mol)
    n_bonds = len(codes.bonds)
    copies = n + 1
    stored = inputs.to_device(graph_set([codes] * copies, features), model.device)
    # the bonds of each atom, as directed edges 2k and 2k + 1 of bond k
    edges_of: list[list[int]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(codes.ends):
        for atom in (a, b):
            edges_of[atom] += [2 * k, 2 * k + 1]
    per_batch = max(1, _GRAPH_BATCH_ATOMS // max(n, 1))
    outs = []
    for start in range(0, copies, per_batch):
        idx = torch.arange(start, min(start + per_batch, copies), device=model.device)
        batch = inputs.batch(stored, idx, 0)
        x, edge_attr = batch.x.clone(), batch.edge_attr.clone()
        for j, copy in enumerate(idx.tolist()):
            if copy == 0:
                continue  # the whole molecule
            atom = copy - 1
            x[j * n + atom] = 0.0
            if edges_of[atom]:
                edge_attr[torch.tensor(edges_of[atom], device=x.device) + j * 2 * n_bonds] = 0.0
        batch = dataclasses.replace(batch, x=x, edge_attr=edge_attr)
        member_outs = []
        for network in model.networks:
            network.eval()
            member_outs.append(_in_units(model, network(batch).float().cpu().numpy().astype(np.float64)))
        outs.append(np.mean(member_outs, axis=0))
    return np.concatenate(outs)


def _token_outputs(
    model: TrainedModel, mol: Chem.Mol, key: str, row: pd.DataFrame | None, features: np.ndarray
) -> np.ndarray:
    inputs = model.inputs
    assert isinstance(inputs, TokenInputs)  # masked_predictions comes here for token inputs only
    n = mol.GetNumAtoms()
    variants = inputs.encode([mol], [key], row, None).smiles[0]
    stored = inputs.to_device(TokenEncoding([variants] * (n + 1), features), model.device)
    for view in range(stored.ids.shape[1]):
        for atom, position in _atom_token_positions(mol, variants[view]).items():
            if position < inputs.max_length:  # a SMILES is cut after max_length tokens
                stored.ids[1 + atom, view, 1 + position] = 0  # after <cls>; <pad> has id 0
    return model.predict_stored(stored, n + 1)[0]


def _is_atom_token(token: str) -> bool:
    return token[0] == "[" or token in _ATOM_TOKENS


_ATOM_TOKENS = frozenset({"Br", "Cl", "B", "C", "N", "O", "P", "S", "F", "I", "b", "c", "n", "o", "p", "s", "*"})


def _atom_token_positions(mol: Chem.Mol, smiles: str) -> dict[int, int]:
    """Atom index of ``mol`` -> position of its token in ``smiles`` (a SMILES written from ``mol``).

    The SMILES is read back and matched onto ``mol``; atoms a symmetry makes equivalent may
    be matched either way round, which cannot change what the network reads.
    """
    tokens = tokenize(smiles)
    positions = [p for p, t in enumerate(tokens) if _is_atom_token(t)]
    params = cast(Any, Chem.SmilesParserParams())  # rdkit-stubs type its property setters as taking the params object
    params.removeHs = False
    with rdBase.BlockLogs():
        written = Chem.MolFromSmiles(smiles, params)
    if written is None or written.GetNumAtoms() != len(positions):
        return {}
    match = mol.GetSubstructMatch(written, useChirality=True) or mol.GetSubstructMatch(written)
    if len(match) != len(positions):
        return {}
    return {atom: positions[k] for k, atom in enumerate(match)}

