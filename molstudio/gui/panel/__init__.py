"""The training panel: what to predict, the architecture and its hyperparameters, the
features, the split with live compound counts, and the training settings, as one RunConfig."""

from molstudio.gui.panel.train_panel import TrainPanel

__all__ = ["TrainPanel"]
