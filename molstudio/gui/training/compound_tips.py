"""Hover text for a plotted compound: its id, its 2D structure and its values.

The structure is drawn by :func:`molstudio.core.chem.mol_to_png` and embedded in the
rich-text tooltip as a data URL; each compound is drawn once per run.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from molstudio.core import chem
from molstudio.core.run.config import RunConfig

CACHE_SIZE = 300
IMAGE_SIZE = (240, 170)


class CompoundTips:
    """Tooltips for the rows of the table a run was trained on."""

    def __init__(self) -> None:
        self.frame: pd.DataFrame | None = None
        self.config: RunConfig | None = None
        self._heads: dict[int, str] = {}

    def set_run(self, frame: pd.DataFrame | None, config: RunConfig | None) -> None:
        """Describe rows of ``frame`` with the id and structure columns that ``config`` names."""
        self.frame, self.config, self._heads = frame, config, {}

    def describe(self, row: int, measured: float, predicted: float, task: str = "regression",
                 spread: float | None = None) -> str:
        """Rich text for a plotted compound; ``spread`` is an ensemble's ± (regression)."""
        head = self._heads.get(row)
        if head is None:
            if len(self._heads) >= CACHE_SIZE:
                self._heads.clear()
            head = self._heads[row] = self._head(row)
        if task == "classification":
            return f"{head}<br>measured {measured:g} · probability of class 1: {predicted:.2f}"
        if spread is not None:
            return (f"{head}<br>measured {measured:.3g} · predicted {predicted:.3g} ± {spread:.2g}"
                    "<br><i>± the spread of the ensemble's networks</i>")
        return f"{head}<br>measured {measured:.3g} · predicted {predicted:.3g}"

    def _head(self, row: int) -> str:
        frame, cfg = self.frame, self.config
        title, image = f"Row {row + 1}", ""
        if frame is None or cfg is None or not 0 <= row < len(frame):
            return f"<b>{title}</b>"
        if cfg.id_column and cfg.id_column in frame.columns:
            title = html.escape(str(frame[cfg.id_column].iloc[row]), quote=False)
        if cfg.structure_column and cfg.structure_column in frame.columns:
            kind = "molblock" if cfg.structure_column == "molblock" else "smiles"
            mol = chem.parse_structures([frame[cfg.structure_column].iloc[row]], kind=kind).mols[0]
            if mol is not None:
                width, height = IMAGE_SIZE
                png = base64.b64encode(chem.mol_to_png(mol, width, height)).decode("ascii")
                image = f"<br><img src='data:image/png;base64,{png}' width='{width}' height='{height}'>"
        return f"<b>{title}</b>{image}"
