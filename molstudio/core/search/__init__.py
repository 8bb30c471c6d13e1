"""Looking for better settings and more data: hyperparameter search (Optuna) over each
architecture's schema, and learning curves (would more measurements help?)."""

from molstudio.core.search.curves import LearningCurve, learning_curve, read_curve
from molstudio.core.search.space import SearchSpace, parse_override
from molstudio.core.search.tuning import (
    SearchFinished,
    TrialReport,
    best_config,
    default_storage,
    tune,
)

__all__ = [
    "LearningCurve",
    "SearchFinished",
    "SearchSpace",
    "TrialReport",
    "best_config",
    "default_storage",
    "learning_curve",
    "parse_override",
    "read_curve",
    "tune",
]
