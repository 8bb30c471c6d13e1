"""The recommended starting point for a table: what ``molstudio-cli train`` uses when no
``--model`` and no ``--features`` are given, and what the GUI preselects.

Chosen by measurement on ESOL's fixed split (``benchmarks/architecture_table.py`` and
``benchmarks/recommended_default.py``); see the README's figures.
"""

from __future__ import annotations

import copy

from molstudio.core.run.config import RunConfig

#: for a table with structures (small data: up to some tens of thousands of compounds)
WITH_STRUCTURES = {"model": "dmpnn", "features": ["rdkit2d"], "training": {"ensemble": 5}}
#: for a table of descriptor columns only
DESCRIPTORS_ONLY = {"model": "mlp", "features": ["columns"], "training": {}}


def recommended(has_structures: bool) -> dict:
    """Model name, features and training settings recommended for a table."""
    return copy.deepcopy(WITH_STRUCTURES if has_structures else DESCRIPTORS_ONLY)


def apply_recommended(config: RunConfig, has_structures: bool) -> RunConfig:
    """A copy of ``config`` with the recommended model, features and training settings
    (settings the run already names are kept)."""
    rec = recommended(has_structures)
    out = copy.deepcopy(config)
    out.model = rec["model"]
    out.hparams = {}
    out.features = list(rec["features"])
    if out.descriptor_columns and "columns" not in out.features:
        out.features.append("columns")
    out.training = {**rec["training"], **out.training}
    return out
