"""Around the training panel's run: the Search settings tab (a hyperparameter search, live,
resumable) and the Learning curve tab (would more measurements help?)."""

from molstudio.gui.search.curve_view import LearningCurveView
from molstudio.gui.search.view import TuneView

__all__ = ["LearningCurveView", "TuneView"]
