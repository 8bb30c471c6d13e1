"""Chemistry helpers: parsing with RDKit's reason, standardization, scaffolds, depiction.

RDKit never writes to stderr from here: its log is blocked or captured, and the
captured text becomes the reason a chemist reads next to an invalid structure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.Chem.Scaffolds import MurckoScaffold

from molstudio.core.errors import MolStudioError

Mol = Chem.Mol
EMPTY = "empty structure"
_STAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s?")
_POSITION = re.compile(r"around position (\d+)")
SMARTS_HINT = (
    "Write the substructure as SMARTS, e.g. c1ccncc1 (pyridine), [NX3;H2] (primary amine) or "
    "C(=O)[OH] (carboxylic acid); every bracket, parenthesis and ring must be closed."
)


@dataclass
class ParsedStructures:
    """Result of :func:`parse_structures`, one entry per input value."""

    mols: list[Mol | None]
    errors: list[str | None]
    canonical: list[str | None]


def _log_lines(text: str) -> list[str]:
    lines = (_STAMP.sub("", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def _syntax_detail(log: str) -> str:
    """RDKit's parse-error lines, without the echo of the input and the caret."""
    detail = []
    for line in _log_lines(log):
        text = line.removeprefix("SMILES Parse Error:").strip()
        if line == text or text.startswith(("syntax error while parsing", "Failed parsing")):
            continue
        text = re.sub(r" (for input|while parsing): .*$", "", text).rstrip(":")
        detail.append(text.replace("check for mistakes", "check"))
    return ": " + "; ".join(detail) if detail else ""


def _sanitize_reason(mol: Mol) -> str | None:
    """Sanitize ``mol`` in place; RDKit's message on failure, else None."""
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog():
        try:
            Chem.SanitizeMol(mol)
        except Exception as exc:  # RDKit raises several exception types
            return str(exc).strip() or type(exc).__name__
    return None


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_smiles(smiles: str) -> tuple[Mol | None, str | None]:
    """Parse one SMILES.

    Returns
    -------
    (mol, None) on success, (None, reason) on failure; ``reason`` is RDKit's own
    message, e.g. "Explicit valence for atom # 1 N, 5, is greater than permitted".
    """
    if _is_blank(smiles):
        return None, EMPTY
    text = str(smiles).strip()
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog():
        mol = Chem.MolFromSmiles(text)
    if mol is not None:
        return (mol, None) if mol.GetNumAtoms() else (None, EMPTY)
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as log:
        raw = Chem.MolFromSmiles(text, sanitize=False)
    if raw is None:
        return None, "SMILES syntax error" + _syntax_detail(log.messages)
    return None, _sanitize_reason(raw) or "RDKit could not read this SMILES"


def parse_molblock(block: str) -> tuple[Mol | None, str | None]:
    """Parse one MDL molblock (V2000 or V3000); like :func:`parse_smiles`."""
    if _is_blank(block):
        return None, EMPTY
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog():
        mol = Chem.MolFromMolBlock(block)
    if mol is not None:
        return (mol, None) if mol.GetNumAtoms() else (None, EMPTY)
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as log:
        raw = Chem.MolFromMolBlock(block, sanitize=False, removeHs=False)
    if raw is None:
        detail = "; ".join(_log_lines(log.messages))
        return None, "unreadable molblock" + (f": {detail}" if detail else "")
    return None, _sanitize_reason(raw) or "RDKit could not read this molblock"


def standardize(mol: Mol) -> Mol:
    """Cleanup, keep the largest organic fragment (salts, solvents go) and neutralize."""
    with rdBase.BlockLogs():
        parent = rdMolStandardize.FragmentParent(rdMolStandardize.Cleanup(mol))
        return rdMolStandardize.Uncharger().uncharge(parent)


_standardize = standardize  # parse_structures has a flag of the same name


def canonical_smiles(mol: Mol | None) -> str | None:
    """RDKit canonical SMILES (with stereochemistry), None for None."""
    return None if mol is None else Chem.MolToSmiles(mol)


def parse_structures(
    values: Iterable[object], kind: str = "smiles", standardize: bool = False
) -> ParsedStructures:
    """Parse many SMILES (``kind="smiles"``) or molblocks (``kind="molblock"``).

    Empty values (None, NaN, "") give the error "empty structure".
    """
    if kind not in ("smiles", "molblock"):
        raise ValueError(f"unknown structure kind {kind!r}")
    parse = parse_smiles if kind == "smiles" else parse_molblock
    out = ParsedStructures([], [], [])
    for value in values:
        mol, error = parse(value)  # type: ignore[arg-type]
        if mol is not None and standardize:
            try:
                mol = _standardize(mol)
            except Exception as exc:  # RDKit raises several exception types
                mol, error = None, f"standardization failed: {exc}"
        out.mols.append(mol)
        out.errors.append(error)
        out.canonical.append(canonical_smiles(mol))
    return out


def parse_smarts(text: str) -> Mol:
    """A substructure query from SMARTS text.

    Raises MolStudioError ("'C(' is not a valid SMARTS pattern ...") with a hint on
    how to write one when ``text`` is empty or RDKit cannot read it.
    """
    pattern = "" if _is_blank(text) else str(text).strip()
    if not pattern:
        raise MolStudioError("No substructure was given to search for.", hint=SMARTS_HINT)
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as log:
        query = Chem.MolFromSmarts(pattern)
    if query is None:
        found = _POSITION.search(log.messages)
        where = f" (look around character {found.group(1)})" if found else ""
        raise MolStudioError(f"'{pattern}' is not a valid SMARTS pattern{where}.", hint=SMARTS_HINT)
    return query


def substructure_mask(mols: Sequence[Mol | None], query: Mol) -> np.ndarray:
    """Boolean array: which of ``mols`` contain ``query`` (a missing molecule never does)."""
    mask = np.zeros(len(mols), dtype=bool)
    with rdBase.BlockLogs():
        for i, mol in enumerate(mols):
            mask[i] = mol is not None and mol.HasSubstructMatch(query)
    return mask


def murcko_scaffold(smiles_or_mol: str | Mol | None) -> str:
    """Bemis–Murcko scaffold SMILES; "" for acyclic, empty or unreadable input."""
    mol = smiles_or_mol
    if not isinstance(mol, Chem.Mol):
        mol = parse_smiles(mol)[0]  # type: ignore[arg-type]
    if mol is None:
        return ""
    with rdBase.BlockLogs():
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol)


def find_duplicates(canonical: Sequence[str | None]) -> dict[str, list[int]]:
    """Groups of row positions sharing a canonical SMILES (groups of two or more)."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(canonical):
        if key:
            groups.setdefault(key, []).append(i)
    return {k: v for k, v in groups.items() if len(v) > 1}


def _draw(
    drawer: rdMolDraw2D.MolDraw2D,
    mol: Mol | None,
    highlight_atoms: Sequence[int] | None,
    atom_weights: Sequence[float] | None,
) -> None:
    opts = drawer.drawOptions()
    opts.setBackgroundColour((1, 1, 1, 1))
    opts.padding = 0.08
    opts.minFontSize = 9  # labels stay legible in thumbnails
    opts.bondLineWidth = 1.5
    if mol is None or mol.GetNumAtoms() == 0:
        drawer.ClearDrawing()
        drawer.FinishDrawing()
        return
    with rdBase.BlockLogs():
        mol = Mol(mol)
        if not mol.GetNumConformers():
            rdDepictor.Compute2DCoords(mol)
        try:
            mol = rdMolDraw2D.PrepareMolForDrawing(mol)
        except Exception:  # unkekulizable input still gets drawn as is
            pass
    atoms: list[int] = list(highlight_atoms or [])
    colours: dict[int, tuple[float, float, float]] = {}
    radii: dict[int, float] = {}
    if atom_weights is not None:
        top = max((abs(w) for w in atom_weights), default=0.0) or 1.0
        for i, w in enumerate(atom_weights):
            s = min(abs(float(w)) / top, 1.0)
            if s < 0.05:
                continue
            # red raises the prediction, blue lowers it; paler means weaker
            colours[i] = (1.0, 1 - 0.6 * s, 1 - 0.6 * s) if w > 0 else (1 - 0.6 * s, 1 - 0.6 * s, 1.0)
            radii[i] = 0.25 + 0.2 * s
        atoms = sorted(set(atoms) | set(colours))
    drawer.DrawMolecule(
        mol,
        highlightAtoms=atoms,
        highlightAtomColors=colours or None,
        highlightAtomRadii=radii or None,
        highlightBonds=[],
    )
    drawer.FinishDrawing()


def mol_to_svg(
    mol: Mol | None,
    width: int = 300,
    height: int = 200,
    highlight_atoms: Sequence[int] | None = None,
    atom_weights: Sequence[float] | None = None,
) -> str:
    """SVG depiction on white; ``atom_weights`` colour atoms red (+) / blue (-).

    A missing molecule gives a blank image of the same size.
    """
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    _draw(drawer, mol, highlight_atoms, atom_weights)
    return drawer.GetDrawingText()


def mol_to_png(mol: Mol | None, width: int = 300, height: int = 200) -> bytes:
    """PNG depiction on white, e.g. for spreadsheet thumbnails."""
    drawer = rdMolDraw2D.MolDraw2DCairo(width, height)
    _draw(drawer, mol, None, None)
    return drawer.GetDrawingText()
