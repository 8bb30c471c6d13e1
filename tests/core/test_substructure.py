"""Tests of the SMARTS substructure search in molstudio.core.chem."""

import numpy as np
import pytest

from molstudio.core import chem
from molstudio.core.errors import MolStudioError


def mols(*smiles):
    return [chem.parse_smiles(s)[0] for s in smiles]


def test_a_valid_smarts_gives_a_query():
    query = chem.parse_smarts("  [NX3;H2]c  ")
    assert query.GetNumAtoms() == 2


@pytest.mark.parametrize("text, position", [("C(", "2"), ("c1ccc(", "6"), ("[Nh", "3")])
def test_an_invalid_smarts_is_explained_in_words(text, position, capfd):
    with pytest.raises(MolStudioError) as caught:
        chem.parse_smarts(text)
    assert caught.value.message == f"'{text}' is not a valid SMARTS pattern (look around character {position})."
    assert "c1ccncc1 (pyridine)" in caught.value.hint
    assert capfd.readouterr().err == ""  # RDKit's own log does not reach the terminal


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_smarts_is_refused(text):
    with pytest.raises(MolStudioError, match="No substructure"):
        chem.parse_smarts(text)


def test_mask_marks_the_molecules_containing_the_substructure():
    table = mols("c1ccncc1", "c1ccc2ncccc2c1", "c1ccccc1", "CCN", "CC(=O)O")
    assert chem.substructure_mask(table, chem.parse_smarts("c1ccncc1")).tolist() == [True, True, False, False, False]
    acid = chem.substructure_mask(table, chem.parse_smarts("C(=O)[OH]"))
    assert acid.dtype == np.bool_ and acid.tolist() == [False, False, False, False, True]


def test_missing_molecules_never_match():
    table = [None, *mols("CCO"), None]
    assert chem.substructure_mask(table, chem.parse_smarts("*")).tolist() == [False, True, False]
    assert chem.substructure_mask([], chem.parse_smarts("C")).shape == (0,)
