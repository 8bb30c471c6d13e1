"""Tests of molstudio.core.tables.columns: which column is the structure, the id, the targets."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molstudio.core.tables import reading as io
from molstudio.core.tables.columns import detect_roles, is_classification, task_type

SMILES = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN", "c1ccncc1", "CC(C)O", "OCCO", "CCCl", "C1CCCCC1", "CN(C)C"]


def test_smiles_and_target_table():
    frame = pd.DataFrame({"smiles": SMILES, "pIC50": np.linspace(4, 8, 10)})
    roles = detect_roles(frame)
    assert (roles.structure, roles.structure_kind) == ("smiles", "smiles")
    assert roles.targets == ["pIC50"]
    assert roles.descriptors == [] and roles.id is None


def test_descriptor_only_table():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((20, 5)), columns=["f1", "f2", "f3", "f4", "y"])
    roles = detect_roles(frame)
    assert roles.structure is None and roles.structure_kind is None
    assert roles.targets == ["y"]
    assert roles.descriptors == ["f1", "f2", "f3", "f4"]
    assert roles.numeric == ["f1", "f2", "f3", "f4", "y"]


def test_last_numeric_column_is_the_target_when_no_name_says_so():
    frame = pd.DataFrame({"smiles": SMILES, "mw": np.arange(10.0), "response": np.arange(10.0) * 2})
    roles = detect_roles(frame)
    assert roles.targets == ["response"] and roles.descriptors == ["mw"]


def test_table_read_from_sdf(tmp_path):
    path = tmp_path / "set.sdf"
    with Chem.SDWriter(str(path)) as writer:
        for i, smi in enumerate(SMILES):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", f"CPD-{i}")
            mol.SetProp("MW", f"{100 + i * 1.5}")
            mol.SetProp("pKi", f"{5 + i / 10}")
            writer.write(mol)
    roles = detect_roles(io.read_table(path).frame)
    assert (roles.structure, roles.structure_kind) == ("molblock", "molblock")
    assert roles.id == "name"
    assert roles.targets == ["pKi"] and roles.descriptors == ["MW"]


def test_structure_column_with_an_unusual_header_is_found_by_parsing():
    frame = pd.DataFrame(
        {"Verbindung": [f"V{i}" for i in range(10)], "Struktur": SMILES, "Wert": np.arange(10.0)}
    )
    roles = detect_roles(frame)
    assert roles.structure == "Struktur" and roles.structure_kind == "smiles"
    assert roles.id == "Verbindung"
    assert roles.targets == ["Wert"]


def test_tox21_like_table_has_every_binary_column_as_target():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, (10, 4)).astype(float)
    labels[rng.random((10, 4)) < 0.2] = np.nan
    labels[0] = [0, 1, np.nan, np.nan]
    labels[1] = [np.nan, np.nan, 0, 1]
    frame = pd.DataFrame(labels, columns=["NR-AR", "NR-AhR", "SR-ARE", "SR-p53"])
    frame.insert(0, "smiles", SMILES)
    roles = detect_roles(frame)
    assert roles.structure == "smiles"
    assert roles.targets == ["NR-AR", "NR-AhR", "SR-ARE", "SR-p53"]
    assert all(task_type(frame[t]) == "classification" for t in roles.targets)


def test_a_column_named_smiles_holding_junk_is_rejected():
    junk = ["aspirin", "caffeine", "n/a see notes", "ibuprofen", "paracetamol"]
    junk += ["tbd", "x-12", "??", "na", "later"]
    frame = pd.DataFrame({"smiles": junk, "y": np.arange(10.0)})
    assert detect_roles(frame).structure is None
    frame["Struktur"] = SMILES
    assert detect_roles(frame).structure == "Struktur"


def test_mostly_valid_structures_are_accepted():
    values = SMILES[:7] + ["C1CC(", "CN(C)(C)(C)C", None]
    roles = detect_roles(pd.DataFrame({"canonical_smiles": values, "act": np.arange(10.0)}))
    assert roles.structure == "canonical_smiles" and roles.targets == ["act"]


def test_id_column_by_name_is_not_a_descriptor():
    frame = pd.DataFrame(
        {"compound_id": np.arange(10), "smiles": SMILES, "logp": np.arange(10.0), "y": np.ones(10)}
    )
    roles = detect_roles(frame)
    assert roles.id == "compound_id"
    assert "compound_id" not in roles.numeric
    assert roles.targets == ["y"] and roles.descriptors == ["logp"]


def test_decimal_comma_numbers_read_by_io_count_as_numeric(tmp_path):
    path = tmp_path / "eu.csv"
    rows = [f"{s};{i},5;{i * 2},25" for i, s in enumerate(SMILES)]
    path.write_text("SMILES;pIC50;Gewicht\n" + "\n".join(rows) + "\n", encoding="utf-8")
    roles = detect_roles(io.read_table(path).frame)
    assert roles.structure == "SMILES"
    assert roles.numeric == ["pIC50", "Gewicht"]
    assert roles.targets == ["pIC50"] and roles.descriptors == ["Gewicht"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1, 1, np.nan, 0], True),
        ([0.0, 1.0, 1.0], True),
        ([True, False, True], True),
        (["active", "inactive", "active", None], True),
        (["a", "b", "c"], False),
        ([0.5, 1.2, 3.3], False),
        ([1, 2, 1, 2], False),
        ([np.nan, np.nan], False),
    ],
)
def test_is_classification(values, expected):
    series = pd.Series(values)
    assert is_classification(series) is expected
    assert task_type(series) == ("classification" if expected else "regression")
