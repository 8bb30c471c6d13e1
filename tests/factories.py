"""Small data sets the tests make themselves."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen

# A chemically varied set: aliphatics, aromatics, heterocycles, acids, amines, halides.
SMILES = [
    "CCO", "CCCO", "CCCCO", "CCCCCO", "CC(C)O", "CC(C)(C)O", "OCCO", "CCOCC", "CCCOC", "C1CCCCC1",
    "C1CCCC1", "c1ccccc1", "Cc1ccccc1", "CCc1ccccc1", "Oc1ccccc1", "Nc1ccccc1", "Clc1ccccc1",
    "Brc1ccccc1", "c1ccc2ccccc2c1", "c1ccncc1", "c1ccoc1", "c1ccsc1", "c1cc[nH]c1", "CC(=O)O",
    "CCC(=O)O", "OC(=O)c1ccccc1", "CC(=O)Nc1ccccc1", "CN", "CCN", "CCCN", "CN(C)C", "NCCN",
    "ClCCl", "ClC(Cl)Cl", "FC(F)(F)c1ccccc1", "CC(=O)C", "CCC(=O)CC", "O=Cc1ccccc1", "C#N",
    "CC#N", "N#Cc1ccccc1", "CS(=O)(=O)C", "CC(C)CC(C)C", "CCCCCCCC", "CCCCCCCCCC", "c1ccc(cc1)O",
    "COc1ccccc1", "c1ccc(cc1)c1ccccc1", "O=C(O)CCC(=O)O", "NC(=O)N", "CC(N)C(=O)O",
    "OC1CCCCC1", "c1cnc2ccccc2c1", "c1ccc2[nH]ccc2c1", "CCOC(=O)C", "CCCCOC(=O)C", "O=C1CCCCC1",
    "CC1=CCCCC1", "C=CC=C", "CCCCl",
]


def logp_table(n: int | None = None) -> pd.DataFrame:
    """SMILES with an exact, learnable target: Crippen logP."""
    smiles = SMILES[:n] if n else SMILES
    logp = [Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in smiles]
    return pd.DataFrame({"compound_id": [f"C{i:03d}" for i in range(len(smiles))], "smiles": smiles, "logp": logp})


def nitrogen_table() -> pd.DataFrame:
    """Binary target: does the molecule contain nitrogen."""
    smiles = SMILES
    label = [int("N" in s.upper().replace("CL", "").replace("BR", "")) for s in smiles]
    return pd.DataFrame({"smiles": smiles, "has_n": label})


def descriptor_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """The tutorial's four-descriptor function, smaller."""
    rng = np.random.default_rng(seed)
    f = rng.random((n, 4))
    y = 5 + 3 * np.sin(2 * np.pi * f[:, 0]) + 4 * f[:, 1] * f[:, 2] - 6 * (f[:, 3] - 0.4) ** 2
    y = y + rng.normal(0, 0.3, n)
    return pd.DataFrame({"f1": f[:, 0], "f2": f[:, 1], "f3": f[:, 2], "f4": f[:, 3], "y": y})


def rewrite_model_file(src, dst, manifest_edit=None, extra=None, weights=None):
    """A copy of the model file ``src`` at ``dst`` with its manifest edited in place by
    ``manifest_edit``, its weights replaced, or extra entries added (tampered files)."""
    with zipfile.ZipFile(src) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        blob = zf.read("weights.safetensors")
    if manifest_edit:
        manifest_edit(manifest)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("weights.safetensors", weights if weights is not None else blob)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return dst


def nitrogen_count_table(n: int = 150, seed: int = 0) -> pd.DataFrame:
    """Branched chains of C, N and O with the number of nitrogen atoms as the target: the
    atoms that matter for the prediction are known (explanations must find them)."""
    rng = np.random.default_rng(seed)
    smiles, counts = [], []
    while len(smiles) < n:
        atoms = rng.choice(["C", "C", "C", "N", "O"], size=int(rng.integers(5, 12)))
        text = "".join(a + ("(C)" if rng.random() < 0.2 else "") for a in atoms)
        if "O(C)" in text:  # a branch on oxygen is a valence error
            continue
        mol = Chem.MolFromSmiles(text)
        if mol is None or "OO" in text or "NN" in text or "ON" in text or "NO" in text:
            continue
        smiles.append(Chem.MolToSmiles(mol))
        counts.append(sum(a.GetSymbol() == "N" for a in mol.GetAtoms()))
    return pd.DataFrame({"compound_id": [f"N{i:03d}" for i in range(n)], "smiles": smiles, "n_nitrogen": counts})


# small versions of each architecture, so that a few dozen molecules train in seconds
SMALL_ARCHITECTURES = {
    "linear": {},
    "mlp": {"hidden_sizes": [64], "dropout": 0.0},
    "dmpnn": {"hidden_size": 64, "ffn_hidden_size": 64},
    "gnn": {"hidden_size": 64, "layers": 3},
    "smiles_rnn": {"hidden_size": 64, "embed_dim": 32, "augment": 0},
    "smiles_cnn": {"filters": 64, "embed_dim": 32, "augment": 0},
    "smiles_transformer": {"embed_dim": 64, "layers": 2, "heads": 4, "augment": 0},
}
