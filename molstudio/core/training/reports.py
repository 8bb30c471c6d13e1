"""What a running training reports, one object per event (and how an estimate reads).

:func:`molstudio.core.training.loop.train` yields these; the CLI draws a progress bar from
them and the GUI's worker forwards each one as a Qt signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from molstudio.core.trained.model import TrainedModel


@dataclass
class StageReport:
    """A preparation step (reading structures, computing features) and its progress."""

    stage: str
    done: int = 0
    total: int = 0


def duration_text(seconds: float) -> str:
    """A duration as a chemist reads an estimate: ``"about 40 seconds"``, ``"about 6 minutes"``,
    ``"about 1 hour 20 minutes"``."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 55:
        return f"about {int(round(seconds / 10) * 10)} seconds"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(int(round(seconds / 600)) * 10, 60)
    text = f"about {hours} hour{'s' if hours != 1 else ''}"
    return text + (f" {rest} minutes" if rest else "")


@dataclass
class EstimateReport:
    """How long the whole run should take, from start to model (wall seconds); yielded once,
    before the first epoch. :mod:`molstudio.core.training.estimate` says what it measures and assumes."""

    seconds: float
    networks: int
    epochs: int  # the epochs each network is expected to train
    max_epochs: int
    parts: dict[str, float] = field(default_factory=dict)  # "featurize", "measure", "train", "finish"

    def text(self) -> str:
        """``"about 6 minutes (5 networks × 25 epochs)"``."""
        return f"{duration_text(self.seconds)} ({self.work()})"

    def work(self) -> str:
        """What the estimate counts on: ``"5 networks × 25 epochs"``, ``"1 network × about 80 of up to 150 epochs"``."""
        networks = f"{self.networks} network{'s' if self.networks != 1 else ''}"
        if self.epochs >= self.max_epochs:
            epochs = f"{self.max_epochs} epoch{'s' if self.max_epochs != 1 else ''}"
        else:
            epochs = f"about {self.epochs} of up to {self.max_epochs} epochs"
        return f"{networks} × {epochs}"


@dataclass
class EpochReport:
    """One finished epoch. Predictions are in the target's own units (probabilities for
    classification); ``val_rows`` are row positions in the input table."""

    epoch: int
    epochs: int
    train_loss: float
    val_loss: float | None
    val_metrics: dict[str, Any]
    val_rows: np.ndarray
    val_true: np.ndarray
    val_pred: np.ndarray
    best_epoch: int
    lr: float
    elapsed: float
    member: int = 0  # which ensemble member (0-based) this epoch belongs to
    members: int = 1


@dataclass
class FinishedReport:
    """The end of a run: the model (``None`` if stopped before one epoch ended) and its figures."""

    model: TrainedModel | None
    metrics: dict[str, dict[str, Any]]
    epochs_run: int
    best_epoch: int
    stopped: str  # "completed" | "early_stopping" | "cancelled" | "diverged" (the loss became not a number)
    seconds: dict[str, float]
    split_counts: dict[str, int]
    test_rows: np.ndarray
    test_true: np.ndarray
    test_pred: np.ndarray
    test_spread: np.ndarray | None = None  # ensemble spread per test compound (zeros for one network)
    val_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    val_true: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    val_pred: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))  # of the final (best-epoch) model
    history: list[dict[str, float | None]] = field(default_factory=list)  # of the last ensemble member
    member_histories: list[list[dict[str, float | None]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    data_warnings: int = 0  # the first this many warnings are about the table and the split, not the training
    estimated_seconds: float | None = None  # what the run's EstimateReport said (None: no estimate was made)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures of the run (the CLI's ``--report``)."""
        return {
            "metrics": self.metrics,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "seconds": self.seconds,
            "estimated_seconds": self.estimated_seconds,
            "split_counts": self.split_counts,
            "warnings": self.warnings,
            "skipped_rows": [{"row": r, "reason": m} for r, m in self.skipped],
            "history": self.history,
            "ensemble": len(self.member_histories) or 1,
        }
