"""Why a model predicts what it does: per-atom contributions for every architecture (atoms
masked through the model's own inputs), permutation importance and SHAP values of features."""

from molstudio.core.explain.atoms import (
    AtomContributions,
    atom_contributions,
    draw_contributions,
    write_contributions,
)
from molstudio.core.explain.importance import (
    FeatureImportance,
    ShapValues,
    permutation_importance,
    permutation_importance_steps,
    shap_values,
)

__all__ = [
    "AtomContributions",
    "FeatureImportance",
    "ShapValues",
    "atom_contributions",
    "draw_contributions",
    "permutation_importance",
    "permutation_importance_steps",
    "shap_values",
    "write_contributions",
]
