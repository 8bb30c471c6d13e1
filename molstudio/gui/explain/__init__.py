"""Why a prediction: atom contributions in the detail pane, and the Feature Importance window."""

from molstudio.gui.explain.atom_map import AtomMap
from molstudio.gui.explain.importance_view import ImportanceWindow, open_importance

__all__ = ["AtomMap", "ImportanceWindow", "open_importance"]
