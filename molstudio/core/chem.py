"""Chemistry helpers: parsing with RDKit's reason, standardization, scaffolds, depiction.

RDKit never writes to stderr from here: its log is blocked or captured, and the
captured text becomes the reason a chemist reads next to an invalid structure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.Chem.Scaffolds import MurckoScaffold

from molstudio.core.errors import MolStudioError

Mol = Chem.Mol
EMPTY = "empty structure"
# Bounds on the work spent on one structure. RDKit's SMILES parser is superlinear in the
# length of some strings (100,000 characters of "C(" take minutes) and its canonical
# ordering overflows the stack on chains of some 20,000 atoms, so larger input is refused
# before (characters) or right after (atoms) parsing. Drug-like compounds and peptides
# are far below both bounds; polymers and biologics are out of scope.
MAX_SMILES_CHARS = 10_000
MAX_ATOMS = 1_000  # heavy atoms
_DETAILS = 3  # RDKit messages kept in a syntax-error reason
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
        text = text.replace("check for mistakes", "check")
        if text not in detail:
            detail.append(text)
    more = " …" if len(detail) > _DETAILS else ""
    return ": " + "; ".join(detail[:_DETAILS]) + more if detail else ""


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


def _too_large(mol: Mol) -> str | None:
    atoms = mol.GetNumHeavyAtoms()
    if atoms <= MAX_ATOMS:
        return None
    return (
        f"too large: {atoms:,} heavy atoms (MolStudio reads molecules of up to {MAX_ATOMS:,}; "
        "polymers and biologics are out of scope)"
    )


def _checked(mol: Mol) -> tuple[Mol | None, str | None]:
    if not mol.GetNumAtoms():
        return None, EMPTY
    reason = _too_large(mol)
    return (None, reason) if reason else (mol, None)


def parse_smiles(smiles: str) -> tuple[Mol | None, str | None]:
    """Parse one SMILES.

    Returns
    -------
    (mol, None) on success, (None, reason) on failure; ``reason`` is RDKit's own
    message, e.g. "Explicit valence for atom # 1 N, 5, is greater than permitted",
    or says the SMILES is longer than :data:`MAX_SMILES_CHARS` characters or the
    molecule larger than :data:`MAX_ATOMS` heavy atoms (the work per row is bounded).
    """
    if _is_blank(smiles):
        return None, EMPTY
    text = str(smiles).strip()
    if len(text) > MAX_SMILES_CHARS:
        return None, (
            f"too long: {len(text):,} characters (MolStudio reads SMILES of up to {MAX_SMILES_CHARS:,}; "
            "is this cell really a structure?)"
        )
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog():
        mol = Chem.MolFromSmiles(text)
    if mol is not None:
        return _checked(mol)
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
        return _checked(mol)
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


def is_mixture(mol: Mol | None) -> bool:
    """Whether ``mol`` has several disconnected fragments (a salt, solvate or mixture)."""
    return mol is not None and len(Chem.GetMolFrags(mol)) > 1


def canonical_smiles(mol: Mol | None) -> str | None:
    """RDKit canonical SMILES (with stereochemistry), None for None."""
    return None if mol is None else Chem.MolToSmiles(mol)


def parse_structures(
    values: Iterable[object], kind: str = "smiles", standardize: bool = False, canonical: bool = True
) -> ParsedStructures:
    """Parse many SMILES (``kind="smiles"``) or molblocks (``kind="molblock"``).

    Empty values (None, NaN, "") give the error "empty structure". ``canonical=False``
    leaves ``canonical`` all None: writing canonical SMILES costs about two thirds of a
    parse, and only caches keyed by structure need it.
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
        out.canonical.append(canonical_smiles(mol) if canonical else None)
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
    opts = cast(Any, drawer.drawOptions())  # rdkit-stubs type its property setters as taking the options object
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
