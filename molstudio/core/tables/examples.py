"""Built-in example datasets, generated at run time (no data file ships with MolStudio)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molstudio.core.errors import MolStudioError


def tutorial_dataset(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Four descriptors f1..f4 in [0, 1] and a smooth, noisy response y.

    y = 5 + 3 sin(2π f1) + 4 f2 f3 − 6 (f4 − 0.4)² + N(0, 0.3²); a network can learn it,
    a straight line cannot.
    """
    rng = np.random.default_rng(seed)
    f = rng.random((n, 4))
    noise = rng.normal(0.0, 0.3, n)
    y = 5 + 3 * np.sin(2 * np.pi * f[:, 0]) + 4 * f[:, 1] * f[:, 2] - 6 * (f[:, 3] - 0.4) ** 2 + noise
    frame = pd.DataFrame(f, columns=["f1", "f2", "f3", "f4"])
    frame["y"] = y
    return frame


def _freewilson_dir() -> Path:
    from rdkit import RDConfig

    return Path(RDConfig.RDContribDir or "", "FreeWilson", "data")


def chembl_binding_dataset() -> pd.DataFrame:
    """1,017 ChEMBL compounds (assay CHEMBL2321810) with a pIC50-like activity.

    Read from the data RDKit ships in ``Contrib/FreeWilson``; columns
    ``compound_id``, ``smiles``, ``activity``, in file order.
    """
    folder = _freewilson_dir()
    smi, act = folder / "CHEMBL2321810.smi", folder / "CHEMBL2321810_act.csv"
    if not (smi.is_file() and act.is_file()):
        raise MolStudioError(
            "The ChEMBL example needs RDKit's Contrib data, which is not installed here "
            f"(looked for {smi}).",
            hint="Install RDKit from PyPI or conda-forge (both include Contrib), "
            "or use the tutorial example.",
        )
    pairs = [line.split(None, 1) for line in smi.read_text().splitlines() if line.strip()]
    structures = pd.DataFrame(
        {"compound_id": [p[1].strip() for p in pairs], "smiles": [p[0] for p in pairs]}
    )
    activity = pd.read_csv(act, dtype={"Name": str})
    activity = activity.rename(columns={"Name": "compound_id", "Act": "activity"})
    frame = structures.merge(activity, on="compound_id", how="left", validate="one_to_one")
    frame["activity"] = frame["activity"].astype(float)
    return frame


@dataclass(frozen=True)
class Example:
    """A built-in dataset: a title, one line for the chemist, and how to make it."""

    title: str
    description: str
    make: Callable[[], pd.DataFrame]


EXAMPLES: dict[str, Example] = {
    "tutorial": Example(
        "Binding affinity tutorial (4 descriptors, 800 compounds)",
        "Four computed descriptors and a binding affinity to predict; a quick first network.",
        tutorial_dataset,
    ),
    "chembl_binding": Example(
        "ChEMBL binding data (1,017 structures, pIC50)",
        "Real compounds from ChEMBL assay CHEMBL2321810 as SMILES with measured potency (pIC50).",
        chembl_binding_dataset,
    ),
}


def write_example(name: str, path: str | os.PathLike[str]) -> None:
    """Write the example ``name`` to ``path`` (CSV, or the format its extension names)."""
    from molstudio.core.tables.reading import write_table

    if name not in EXAMPLES:
        raise MolStudioError(
            f"There is no example called '{name}'.", hint=f"Examples: {', '.join(EXAMPLES)}."
        )
    write_table(EXAMPLES[name].make(), path)
