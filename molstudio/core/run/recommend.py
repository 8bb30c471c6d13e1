"""The recommended starting point for a table: what ``molstudio-cli train`` uses when no
``--model`` and no ``--features`` are given, and what the GUI preselects; and the quick
choice offered beside it when the recommended run would take long.

A policy over the table's kind, task and size, chosen on nine public sets at several
sizes against Chemprop's default and tree baselines (``benchmarks/defaults_across_sets.py``;
the figures are in the README and ARCHITECTURE.md), not on one set:

- **classification, any size**: an ensemble of five feed-forward networks on Morgan counts
  and RDKit descriptors. It beat the D-MPNN (ours and Chemprop's) on every classification
  set, single- and multi-task, in a fraction of the time.
- **regression below** :data:`GRAPH_BELOW` **compounds**: an ensemble of five D-MPNN graph
  networks with RDKit descriptors, the most accurate on small tables (FreeSolv, 100 and 300
  compounds of Lipophilicity).
- **regression from** :data:`GRAPH_BELOW` **compounds**: the feed-forward ensemble. From 1,000
  compounds of Lipophilicity on it was as accurate or more and five times faster, and only it
  keeps a run within Chemprop's time at every size; ESOL (1,128) is the exception the table
  shows, where the graph networks reach 0.48 against 0.51.
- **descriptor columns only**: the feed-forward ensemble on those columns.

Batches grow with the table (:func:`_mlp_batch`): 128 compounds a step from a few thousand
on, which halved the time on Lipophilicity at the same error.
"""

from __future__ import annotations

import copy
from typing import Any

from molstudio.core.run.config import RunConfig

#: below this many compounds a regression table gets graph networks
GRAPH_BELOW = 1000
#: networks in the recommended ensemble
ENSEMBLE = 5

_MLP_TRAINING = {"epochs": 40, "patience": 15}

#: every training setting any choice of this module sets (the GUI resets them all when it
#: switches between choices, so that no setting of another choice is left behind)
TRAINING_KEYS = ("ensemble", "epochs", "patience", "batch_size")


def _mlp_batch(compounds: int) -> int:
    """Compounds per step for the feed-forward networks: small tables need more, smaller steps."""
    return 32 if 0 < compounds < 500 else (64 if 0 < compounds < 1500 else 128)


def _mlp(features: list[str], compounds: int, ensemble: int, why: str) -> dict[str, Any]:
    return {"model": "mlp", "features": features,
            "training": {"ensemble": ensemble, **_MLP_TRAINING, "batch_size": _mlp_batch(compounds)}, "why": why}


def recommended(has_structures: bool, compounds: int = 0, task: str = "") -> dict[str, Any]:
    """Model name, features, hyperparameters, training settings and the reason in words,
    recommended for a table of ``compounds`` rows (0: not known yet) and ``task``
    ("regression", "classification"; "" when not known yet: taken as regression)."""
    if not has_structures:
        return _mlp(["columns"], compounds, ENSEMBLE,
                    "Five feed-forward networks on the table's descriptor columns.")
    if task != "classification" and (compounds == 0 or compounds < GRAPH_BELOW):
        return {"model": "dmpnn", "features": ["rdkit2d"],
                "training": {"ensemble": ENSEMBLE},  # and the D-MPNN's own epochs, patience and batch
                "why": f"Five graph networks (D-MPNN) with RDKit descriptors: the most accurate for measured "
                       f"values on tables under {GRAPH_BELOW:,} compounds."}
    what = "classes" if task == "classification" else f"measured values on tables of {GRAPH_BELOW:,} compounds or more"
    return _mlp(["morgan_count", "rdkit2d"], compounds, ENSEMBLE,
                f"Five feed-forward networks on Morgan counts and RDKit descriptors: as accurate as graph networks "
                f"for {what}, and many times faster.")


def quick(has_structures: bool, compounds: int = 0, task: str = "") -> dict[str, Any]:
    """A faster configuration than :func:`recommended`, for when its run would take long:
    one feed-forward network."""
    features = ["morgan_count", "rdkit2d"] if has_structures else ["columns"]
    return _mlp(features, compounds, 1, "One feed-forward network: a first model in a fraction of the time.")


def apply_recommended(config: RunConfig, has_structures: bool, compounds: int = 0,
                      choice: dict[str, Any] | None = None, task: str = "") -> RunConfig:
    """A copy of ``config`` with the recommended (or the given ``choice``'s) model, features,
    hyperparameters and training settings (settings the run already names are kept)."""
    rec = choice if choice is not None else recommended(has_structures, compounds, task)
    out = copy.deepcopy(config)
    out.model = rec["model"]
    out.hparams = dict(rec.get("hparams", {}))
    out.features = list(rec["features"])
    if out.descriptor_columns and "columns" not in out.features:
        out.features.append("columns")
    out.training = {**rec["training"], **out.training}
    return out
