"""Tests of molstudio.core.chem: parsing with RDKit's reason, standardization, depiction."""

import io
import math

import pytest
from PIL import Image
from rdkit import Chem

from molstudio.core import chem


def test_valid_smiles_parses():
    mol, error = chem.parse_smiles("c1ccccc1O")
    assert error is None
    assert mol.GetNumAtoms() == 7


def test_invalid_valence_gives_rdkit_reason():
    mol, error = chem.parse_smiles("CN(C)(C)(C)C")
    assert mol is None
    assert "Explicit valence for atom # 1 N, 5, is greater than permitted" in error


def test_syntax_errors_are_named_with_rdkit_detail():
    mol, error = chem.parse_smiles("C1CC(")
    assert mol is None
    assert error.startswith("SMILES syntax error")
    assert "position 5" in error
    assert chem.parse_smiles("C1CC")[1] == "SMILES syntax error: unclosed ring"


def test_unkekulizable_aromatic_ring_is_explained():
    assert "kekulize" in chem.parse_smiles("c1cccc1")[1]


@pytest.mark.parametrize("value", [None, "", "   ", math.nan])
def test_empty_values_are_empty_structures(value):
    assert chem.parse_smiles(value) == (None, "empty structure")


def test_rdkit_never_writes_to_stderr(capfd):
    chem.parse_structures(["C1CC(", "CN(C)(C)(C)C", "c1cccc1", "xyz"])
    chem.parse_molblock("garbage")
    assert capfd.readouterr().err == ""


def test_molblock_parsing_and_reasons():
    good = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    assert chem.parse_molblock(good)[0].GetNumAtoms() == 3
    bad = Chem.MolFromSmiles("CN(C)(C)(C)C", sanitize=False)
    bad.UpdatePropertyCache(strict=False)
    mol, error = chem.parse_molblock(Chem.MolToMolBlock(bad, kekulize=False))
    assert mol is None and "Explicit valence" in error
    assert chem.parse_molblock("not a molblock")[1].startswith("unreadable molblock")
    assert chem.parse_molblock("")[1] == "empty structure"


def test_parse_structures_keeps_positions():
    parsed = chem.parse_structures(["OCC", "bad(", None, "CCO"])
    assert [m is not None for m in parsed.mols] == [True, False, False, True]
    assert parsed.errors[1].startswith("SMILES syntax error")
    assert parsed.errors[2] == "empty structure"
    assert parsed.canonical == ["CCO", None, None, "CCO"]


def test_standardization_strips_salts_and_neutralizes():
    parsed = chem.parse_structures(["[Na+].CC(=O)[O-]", "Cl.CCN", "CC(=O)O"], standardize=True)
    assert parsed.canonical == ["CC(=O)O", "CCN", "CC(=O)O"]
    assert parsed.errors == [None, None, None]
    raw = chem.parse_structures(["[Na+].CC(=O)[O-]"])
    assert raw.canonical == ["CC(=O)[O-].[Na+]"]


def test_murcko_scaffold():
    assert chem.murcko_scaffold("CCc1ccccc1CC1CCCCC1") == "c1ccc(CC2CCCCC2)cc1"
    assert chem.murcko_scaffold(Chem.MolFromSmiles("c1ccccc1O")) == "c1ccccc1"
    assert chem.murcko_scaffold("CCO") == ""
    assert chem.murcko_scaffold(None) == ""


def test_duplicates_are_grouped_by_canonical_smiles():
    canonical = chem.parse_structures(["CCO", "OCC", "c1ccccc1", "C(O)C", None, "CCN"]).canonical
    assert chem.find_duplicates(canonical) == {"CCO": [0, 1, 3]}
    assert chem.find_duplicates([None, None, ""]) == {}


def test_svg_depiction_with_atom_weights():
    mol = Chem.MolFromSmiles("c1ccccc1O")
    svg = chem.mol_to_svg(mol, 240, 160, atom_weights=[0.1, -0.5, 0, 0, 0, 0, 1.0])
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "width='240px'" in svg
    assert "<svg" in chem.mol_to_svg(None)
    assert "<svg" in chem.mol_to_svg(mol, highlight_atoms=[6])


def test_png_depiction_is_a_small_white_image():
    png = chem.mol_to_png(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"), 120, 80)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (120, 80)
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert len(image.getcolors(maxcolors=100_000)) > 2  # something was drawn
