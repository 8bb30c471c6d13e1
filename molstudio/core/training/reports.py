"""What a running training reports, one object per event.

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

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures of the run (the CLI's ``--report``)."""
        return {
            "metrics": self.metrics,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "seconds": self.seconds,
            "split_counts": self.split_counts,
            "warnings": self.warnings,
            "skipped_rows": [{"row": r, "reason": m} for r, m in self.skipped],
            "history": self.history,
            "ensemble": len(self.member_histories) or 1,
        }
