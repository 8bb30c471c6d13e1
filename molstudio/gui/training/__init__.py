"""Training in the window: the training view (settings left, the live run right), the
result plots, every run of the session side by side, and autosaved runs to recover."""

from molstudio.gui.training.history import RunHistory, RunRecord
from molstudio.gui.training.recovery import AutosaveSlot, RecoveryBanner
from molstudio.gui.training.results import ResultsView
from molstudio.gui.training.view import TrainingView

__all__ = ["AutosaveSlot", "RecoveryBanner", "ResultsView", "RunHistory", "RunRecord", "TrainingView"]
