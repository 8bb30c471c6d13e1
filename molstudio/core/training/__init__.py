"""Training: :func:`train` (the one loop for the CLI, the GUI and scripts) and what it
yields, the estimate of a run's time, the epoch loop of one network, the autosaved best
model so far, and the domain and interval calibration a model receives at the end of its run."""

from molstudio.core.training.autosave import (
    Autosave,
    Autosaver,
    find_autosaves,
    read_autosave,
    remove_autosave,
)
from molstudio.core.training.loop import run_to_end, train
from molstudio.core.training.reports import EpochReport, EstimateReport, FinishedReport, StageReport

__all__ = [
    "Autosave",
    "Autosaver",
    "EpochReport",
    "EstimateReport",
    "FinishedReport",
    "StageReport",
    "find_autosaves",
    "read_autosave",
    "remove_autosave",
    "run_to_end",
    "train",
]
