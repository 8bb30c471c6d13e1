"""Which atoms of a compound drive its prediction: per-atom contributions and their picture.

``atom_contributions(model, smiles)`` masks each atom in turn, through the model's own
input encoding (:mod:`molstudio.core.explain.masking` says what masking means for
fingerprints, descriptors, graphs and SMILES), and reports, per atom,

    weight_i = prediction(whole molecule) - prediction(atom i masked)

for one target, so a positive weight means the atom raises the prediction (for
classification: the predicted probability). It works for every architecture; an ensemble's
networks are averaged as in prediction. ``draw_contributions`` draws the weights on the 2D
depiction as a colour map (RDKit similarity map: red raises, blue lowers) as SVG or PNG,
``write_contributions`` writes that picture to a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem.Draw import SimilarityMaps, rdMolDraw2D

from molstudio.core import chem
from molstudio.core.atomic import atomic_path
from molstudio.core.errors import MolStudioError
from molstudio.core.explain.masking import masked_predictions
from molstudio.core.featurize.featurizers import _Morgan
from molstudio.core.inputs.graph import GraphInputs
from molstudio.core.inputs.tokens import TokenInputs
from molstudio.core.trained.model import TrainedModel

__all__ = ["AtomContributions", "atom_contributions", "draw_contributions", "write_contributions"]

PICTURE_FORMATS = ("svg", "png")
# blue (lowers the prediction), white, red (raises it), as in the table's structure pictures
_COLOURS = [(0.23, 0.45, 0.85), (1.0, 1.0, 1.0), (0.86, 0.2, 0.2)]


@dataclass
class AtomContributions:
    """Per-atom contributions to one compound's prediction of one target.

    ``weights[i]`` belongs to atom ``i`` of ``mol`` (RDKit atom order: for a SMILES read
    without standardization, the order of the atoms in the SMILES as given); ``prediction``
    is the model's prediction for the whole compound (target units, or the probability of
    the second class); ``method`` says in words what the weights are.
    """

    smiles: str
    target: str
    prediction: float
    weights: np.ndarray
    method: str
    mol: Chem.Mol

    def table(self) -> pd.DataFrame:
        """One row per atom: atom_index (0-based, RDKit order), element, weight."""
        return pd.DataFrame({
            "atom_index": np.arange(len(self.weights)),
            "element": [a.GetSymbol() for a in self.mol.GetAtoms()],
            "weight": self.weights,
        })


def atom_contributions(
    model: TrainedModel, smiles: str | Chem.Mol, target: str | None = None,
    descriptors: Mapping[str, object] | pd.DataFrame | None = None,
) -> AtomContributions:
    """Per-atom contributions to the prediction of ``target`` (the model's first by default).

    ``descriptors`` gives the compound's values of the descriptor columns the model also
    reads, if any (a mapping or a one-row table). Unreadable structures, unknown targets and
    models that read no structures are refused with a :class:`MolStudioError`.
    """
    if not model.inputs.needs_structures:
        raise MolStudioError(
            f"This model reads only the descriptor columns ({', '.join(model.inputs.descriptor_columns)}), "
            "not the structures, so no atom can be credited with its prediction.",
            hint="Use feature importance to see which descriptors the model relies on.")
    column = _target_index(model, target)
    mol, shown = _molecule(model, smiles)
    row = _descriptor_row(model, descriptors)
    key = Chem.MolToSmiles(mol)  # the canonical SMILES (chem.canonical_smiles of a molecule)
    full, masked = masked_predictions(model, mol, key, row)
    weights = (full[column] - masked[:, column]).astype(np.float64)
    name = model.targets[column]
    return AtomContributions(shown, name, float(full[column]), weights, _method(model, column), mol)


def draw_contributions(contrib: AtomContributions, size: tuple[int, int] = (400, 300), fmt: str = "svg") -> bytes:
    """The structure with its contributions as a colour map (red raises the prediction, blue
    lowers it; the deepest colour is the largest contribution in size), as SVG or PNG bytes."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in PICTURE_FORMATS:
        raise MolStudioError(f"Pictures of atom contributions can be SVG or PNG, not '{fmt}'.")
    width, height = int(size[0]), int(size[1])
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height) if fmt == "svg" else rdMolDraw2D.MolDraw2DCairo(width, height)
    weights = np.asarray(contrib.weights, dtype=np.float64)
    top = float(np.max(np.abs(weights))) if weights.size else 0.0
    scaled = (weights / top if top > 0 else np.zeros_like(weights)).tolist()
    if contrib.mol.GetNumAtoms() < 2:  # a similarity map needs two atoms; colour the one atom
        chem._draw(drawer, contrib.mol, None, scaled)
    else:
        options = cast(Any, drawer.drawOptions())  # rdkit-stubs type its property setters as taking the options object
        options.padding = 0.08
        options.bondLineWidth = 1.5
        with rdBase.BlockLogs():
            SimilarityMaps.GetSimilarityMapFromWeights(
                Chem.Mol(contrib.mol), scaled, draw2d=drawer, colorMap=_COLOURS, contourLines=6, alpha=0.3)
        drawer.FinishDrawing()
    text = drawer.GetDrawingText()
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def write_contributions(contrib: AtomContributions, path: str | Path, size: tuple[int, int] = (400, 300)) -> Path:
    """Write the picture of :func:`draw_contributions` to ``path`` (``.svg`` or ``.png``), atomically."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in PICTURE_FORMATS:
        raise MolStudioError(
            f"Cannot write atom contributions to '{path.name}': the picture is written as SVG or PNG.",
            hint="End the file name with .svg or .png.")
    data = draw_contributions(contrib, size, fmt)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _target_index(model: TrainedModel, target: str | None) -> int:
    if target is None:
        return 0
    if target not in model.targets:
        raise MolStudioError(f"The model does not predict '{target}'; it predicts {', '.join(model.targets)}.",
                             hint="Choose one of the model's targets.")
    return model.targets.index(target)


def _molecule(model: TrainedModel, smiles: str | Chem.Mol) -> tuple[Chem.Mol, str]:
    """The molecule as prediction reads it (standardized if the model was trained so) and its SMILES."""
    mol: Chem.Mol | None
    if isinstance(smiles, Chem.Mol):
        mol = chem.standardize(smiles) if model.config.standardize else Chem.Mol(smiles)
        text = Chem.MolToSmiles(mol)
    else:
        text = "" if smiles is None else str(smiles).strip()
        parsed = chem.parse_structures([text], standardize=model.config.standardize, canonical=False)
        mol = parsed.mols[0]
        if mol is None:
            raise MolStudioError(f"Cannot read the structure '{text[:80]}': {parsed.errors[0]}.",
                                 hint="Check the SMILES, e.g. by drawing it in a structure editor.")
        if model.config.standardize:
            text = Chem.MolToSmiles(mol)  # the atoms are the standardized molecule's
    if mol.GetNumAtoms() == 0:
        raise MolStudioError(f"The structure '{text}' has no atoms to explain.")
    return mol, text


def _descriptor_row(model: TrainedModel, values: Mapping[str, object] | pd.DataFrame | None) -> pd.DataFrame | None:
    needed = model.inputs.descriptor_columns
    if not needed:
        return None
    if isinstance(values, pd.DataFrame):
        values = values.iloc[0].to_dict() if len(values) else {}
    values = dict(values or {})
    missing = [c for c in needed if c not in values]
    if missing:
        raise MolStudioError(
            f"The model also reads the descriptor column(s) {', '.join(missing)}, and their values for this "
            "compound were not given.", hint="Explain a row of a table that has these columns.")
    row = pd.DataFrame([{c: values[c] for c in needed}])
    numbers = row.apply(pd.to_numeric, errors="coerce")
    text = [c for c in needed if numbers[c].isna().iloc[0] and str(row[c].iloc[0]).strip() not in ("", "nan", "None")]
    if text:
        raise MolStudioError(f"The descriptor '{text[0]}' is not a number: '{row[text[0]].iloc[0]}'.")
    return numbers


def _method(model: TrainedModel, column: int) -> str:
    target = model.targets[column]
    if model.task == "classification":
        labels = (model.classes or [["0", "1"]])[column]
        what = f"predicted probability that {target} is '{labels[-1]}'"
    else:
        what = f"predicted {target}"
    parts = []
    if isinstance(model.inputs, GraphInputs):
        parts.append("its atom and bond features set to zero in the molecular graph")
    elif isinstance(model.inputs, TokenInputs):
        parts.append("its token blanked in each SMILES the model reads")
    featurizers = model.inputs.pipeline.featurizers
    if any(isinstance(f, _Morgan) for f in featurizers):
        parts.append("the fingerprint environments that contain it removed")
    if any(f.needs_structures and not isinstance(f, _Morgan) for f in featurizers):
        parts.append("descriptors recomputed with it as an unspecified atom")
    how = "; ".join(parts)
    return f"change in the {what} when each atom is masked ({how})"
