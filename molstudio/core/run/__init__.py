"""One run before it trains: its configuration (TOML), the recommended starting point,
the table checked and turned into molecules and targets, the split and the metrics."""

from molstudio.core.run.config import (
    TRAINING_SCHEMA,
    RunConfig,
    SplitConfig,
    load_config,
    save_config,
    setting_conflicts,
)
from molstudio.core.run.metrics import (
    PRIMARY_METRIC,
    classification_metrics,
    regression_metrics,
)
from molstudio.core.run.prepare import PreparedData, prepare_data, resolve_config
from molstudio.core.run.recommend import apply_recommended, recommended
from molstudio.core.run.splits import (
    SPLIT_METHODS,
    Split,
    kfold,
    make_split,
    parse_sizes,
)

__all__ = [
    "PRIMARY_METRIC",
    "SPLIT_METHODS",
    "TRAINING_SCHEMA",
    "PreparedData",
    "RunConfig",
    "Split",
    "SplitConfig",
    "apply_recommended",
    "classification_metrics",
    "kfold",
    "load_config",
    "make_split",
    "parse_sizes",
    "prepare_data",
    "recommended",
    "regression_metrics",
    "resolve_config",
    "save_config",
    "setting_conflicts",
]
