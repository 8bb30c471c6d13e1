"""The background job behind the split section's live compound counts.

Reading the targets of a large table (:func:`molstudio.core.run.prepare.parse_targets`)
and splitting it (:func:`molstudio.core.run.splits.make_split`; a scaffold split computes
every compound's Murcko scaffold) takes seconds, so :func:`count_job` runs both in the
one background :class:`~molstudio.gui.common.worker.Worker`, never on the GUI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.run.prepare import parse_targets
from molstudio.core.run.splits import make_split
from molstudio.gui.common.worker import Job

SCAFFOLD_LIMIT = 20000  # above this many compounds a scaffold split is shown as its requested shares


@dataclass(frozen=True, eq=False)
class CountRequest:
    """Everything a count needs, taken from the widgets on the GUI thread."""

    frame: pd.DataFrame
    targets: tuple[str, ...]
    task: str
    method: str
    sizes: tuple[float, float, float]
    seed: int
    column: str = ""
    structure: str | None = None

    def same_as(self, other: CountRequest | None) -> bool:
        """Whether ``other`` asks for the same count (the same table object and settings)."""
        if other is None or other.frame is not self.frame:
            return False
        fields = ("targets", "task", "method", "sizes", "seed", "column", "structure")
        return all(getattr(self, f) == getattr(other, f) for f in fields)


@dataclass
class SplitCounts:
    """Compounds per set; ``approximate`` when a random split stands in for a scaffold split."""

    train: int
    val: int
    test: int
    warnings: list[str] = field(default_factory=list)
    approximate: bool = False


def count_split(request: CountRequest, cancel: threading.Event | None = None) -> SplitCounts | None:
    """The counts of ``request``'s split over the rows with a target value; None once cancelled."""
    frame, method = request.frame, request.method
    missing = [t for t in request.targets if t not in frame.columns]
    if missing:
        raise MolStudioError(f"The table has no column {', '.join(map(repr, missing))} to predict.")
    y, _ = parse_targets(frame, list(request.targets), request.task)
    if cancel is not None and cancel.is_set():
        return None
    rows = np.flatnonzero(~np.isnan(y).all(axis=1))
    kwargs: dict[str, Any] = {"labels": y[rows]} if request.task == "classification" else {}
    approximate = False
    if method == "scaffold":
        if len(rows) > SCAFFOLD_LIMIT or not request.structure:
            method, approximate = "random", True
        else:
            kwargs["smiles"] = frame[request.structure].iloc[rows].astype(str).tolist()
    if method == "column":
        if request.column not in frame.columns:
            raise MolStudioError("Choose the column that says train, val or test for each row.")
        kwargs["column"] = frame[request.column].iloc[rows].astype(str).to_numpy()
    split = make_split(len(rows), method, request.sizes, request.seed, **kwargs)
    if cancel is not None and cancel.is_set():
        return None
    c = split.counts()
    return SplitCounts(c["train"], c["val"], c["test"], list(split.warnings), approximate)


def count_job(request: CountRequest) -> Job:
    """A worker job yielding the :class:`SplitCounts` of ``request`` (nothing once cancelled)."""
    return lambda cancel: count_split(request, cancel)
