"""Train / validation / test splits of a table's rows, seeded and reproducible.

Every split is a set of 0-based row positions into the table as loaded, so the
caller can index any array aligned with that table.
"""

from __future__ import annotations

import math
import re
import warnings as _warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd
from rdkit import rdBase
from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, train_test_split

from molstudio.core.errors import MolStudioError

SPLIT_METHODS = ("random", "scaffold", "stratified", "column")
KFOLD_METHODS = ("random", "stratified", "scaffold")

_NAMES = ("train", "val", "test")
_LONG = {"train": "training", "val": "validation", "test": "test"}
_COLUMN_VALUES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


@dataclass
class Split:
    """Row positions of the training, validation and test sets.

    Attributes
    ----------
    train, val, test
        Sorted integer arrays of 0-based row positions; ``val`` may be empty.
    warnings
        Problems worth showing the user (e.g. a set holding one class only).
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.train = _positions(self.train)
        self.val = _positions(self.val)
        self.test = _positions(self.test)

    def counts(self) -> dict[str, int]:
        """Number of rows per set: ``{"train": .., "val": .., "test": ..}``."""
        return {name: int(getattr(self, name).size) for name in _NAMES}

    def as_labels(self, n: int) -> np.ndarray:
        """One label per row ("train", "val" or "test"; "" for a row in no set)."""
        labels = np.full(n, "", dtype="<U5")
        for name in _NAMES:
            labels[getattr(self, name)] = name
        return labels


def make_split(
    n: int,
    method: str = "random",
    sizes: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    labels: np.ndarray | Sequence | None = None,
    smiles: Sequence[str | None] | None = None,
    column: Sequence | None = None,
) -> Split:
    """Split ``n`` rows into training, validation and test sets.

    Parameters
    ----------
    n
        Number of rows.
    method
        One of :data:`SPLIT_METHODS`.
    sizes
        Fractions (train, val, test) summing to 1; val or test may be 0.
        Ignored by the "column" method.
    seed
        Seed of the random choices; the same seed gives the same split.
    labels
        Class labels, shape (n,) or (n, tasks); needed by "stratified", and
        used by every method to warn about sets holding one class only.
    smiles
        One SMILES per row; needed by "scaffold".
    column
        One of train/val/valid/validation/test per row; needed by "column".

    Returns
    -------
    Split
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    if labels is not None:
        _label_matrix(labels, n)
    if method == "column":
        split = _column_split(column, n)
    else:
        fractions = _check_sizes(sizes)
        targets = _target_counts(n, fractions)
        rng = np.random.default_rng(seed)
        if method == "random":
            perm = rng.permutation(n)
            cut = np.cumsum(targets)[:2]
            split = Split(perm[: cut[0]], perm[cut[0] : cut[1]], perm[cut[1] :])
        elif method == "scaffold":
            groups, unparsable = _scaffold_groups(smiles, n)
            parts = _assign_groups(np.arange(n), groups, targets, rng)
            split = Split(*parts)
            if unparsable:
                split.warnings.append(
                    f"{unparsable} structure(s) could not be read; each was given a scaffold group of its own."
                )
            split.warnings.extend(_size_warnings(split, targets))
        elif method == "stratified":
            if labels is None:
                raise MolStudioError(
                    "A stratified split needs class labels.", hint="Choose the target column, or use a random split."
                )
            strata = _strata(labels, n)
            notes: list[str] = []
            rest, test = _stratified_take(np.arange(n), targets[2], strata, rng, "test", notes)
            train, val = _stratified_take(rest, targets[1], strata, rng, "validation", notes)
            split = Split(train, val, test, notes)
        else:
            raise MolStudioError(
                f"Unknown split method '{method}'.", hint=f"Choose one of: {', '.join(SPLIT_METHODS)}."
            )
        for name, size in zip(_NAMES[1:], fractions[1:]):
            if size > 0 and getattr(split, name).size == 0:
                split.warnings.append(
                    f"The {_LONG[name]} set is empty: {n} compounds are too few for the requested sizes."
                )
    if labels is not None:
        split.warnings.extend(_class_warnings(split, labels))
    return split


def kfold(
    n: int,
    k: int = 5,
    seed: int = 0,
    method: str = "random",
    labels: np.ndarray | Sequence | None = None,
    smiles: Sequence[str | None] | None = None,
    val_fraction: float = 0.1,
) -> list[Split]:
    """Split ``n`` rows into ``k`` cross-validation folds.

    Each fold's test set is one of ``k`` disjoint parts covering every row once;
    its validation set is a seeded ``val_fraction`` of the remaining rows
    (0 = no validation set) and the rest is its training set.

    Parameters
    ----------
    n, seed, labels, smiles
        As in :func:`make_split`.
    k
        Number of folds, at least 2.
    method
        "random", "stratified" (class ratios kept per fold) or "scaffold"
        (each Bemis–Murcko scaffold stays in one test fold).
    val_fraction
        Fraction of each fold's non-test rows used for validation.

    Returns
    -------
    list of Split
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise MolStudioError(f"Cross-validation needs at least 2 folds (got {k}).")
    k = int(k)
    if k > n:
        raise MolStudioError(f"Cannot make {k} folds from {n} compounds.", hint="Use fewer folds.")
    if isinstance(val_fraction, bool) or not (isinstance(val_fraction, Real) and 0 <= val_fraction < 1):
        raise MolStudioError(f"The validation fraction must be at least 0 and below 1 (got {val_fraction}).")
    if labels is not None:
        _label_matrix(labels, n)
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1))
    notes: list[str] = []
    strata = groups = None
    if method == "random":
        folds = list(KFold(k, shuffle=True, random_state=seed).split(x))
    elif method == "stratified":
        if labels is None:
            raise MolStudioError("Stratified cross-validation needs class labels.")
        strata = _strata(labels, n)
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            try:
                folds = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(x, strata))
            except ValueError:
                raise MolStudioError(
                    f"Every class has fewer than {k} compounds, so {k} stratified folds are impossible.",
                    hint="Use fewer folds.",
                ) from None
        if caught:
            notes.append(f"Some classes have fewer than {k} compounds, so not every test fold holds every class.")
    elif method == "scaffold":
        groups, unparsable = _scaffold_groups(smiles, n)
        n_groups = int(groups.max()) + 1
        if k > n_groups:
            raise MolStudioError(
                f"The compounds have only {n_groups} different scaffolds: cannot make {k} scaffold folds.",
                hint="Use fewer folds, or a random split.",
            )
        if unparsable:
            notes.append(f"{unparsable} structure(s) could not be read; each was given a scaffold group of its own.")
        # GroupKFold breaks ties between equal-sized groups by group number: renumber by the seed.
        folds = list(GroupKFold(k).split(x, groups=rng.permutation(n_groups)[groups]))
    else:
        raise MolStudioError(f"Unknown cross-validation method '{method}'.", hint=f"Choose one of: {', '.join(KFOLD_METHODS)}.")

    result = []
    for fold, (rest, test) in enumerate(folds, start=1):
        n_val = _round_half_up(val_fraction * rest.size)
        if val_fraction > 0 and n_val == 0 and rest.size > 1:
            n_val = 1
        if n_val >= rest.size:
            raise MolStudioError(f"Fold {fold} would leave no compounds for training.", hint="Use a smaller validation fraction.")
        fold_notes = list(notes)
        if strata is not None:
            train, val = _stratified_take(rest, n_val, strata, rng, "validation", fold_notes)
        elif groups is not None:
            train, val, _ = _assign_groups(rest, groups, (rest.size - n_val, n_val, 0), rng)
        else:
            perm = rng.permutation(rest)
            train, val = perm[n_val:], perm[:n_val]
        split = Split(train, val, test, fold_notes)
        if labels is not None:
            split.warnings.extend(f"Fold {fold}: {w}" for w in _class_warnings(split, labels))
        result.append(split)
    return result


def parse_sizes(text: str) -> tuple[float, float, float]:
    """Read split sizes from text such as "0.8,0.1,0.1", "80,10,10" or "0.8,0.2".

    Two numbers mean (train, test) without a validation set; percentages are
    recognised by summing to 100. With ";" as separator, decimal commas are
    accepted ("0,8;0,1;0,1").

    Returns
    -------
    tuple of float
        (train, val, test) fractions summing to 1.
    """
    if not isinstance(text, str) or not text.strip():
        raise MolStudioError("No split sizes given.", hint='Write them as train,validation,test, e.g. "0.8,0.1,0.1".')
    cleaned = text.replace("%", "")
    if ";" in cleaned:
        parts = [p.replace(",", ".") for p in cleaned.split(";")]
    else:
        parts = re.split(r"[,/:\s]+", cleaned.strip())
    try:
        values = [float(p.strip()) for p in parts]
    except ValueError:
        raise MolStudioError(
            f"Cannot read the split sizes '{text}'.", hint='Write them as train,validation,test, e.g. "0.8,0.1,0.1" or "80,10,10".'
        ) from None
    if len(values) not in (2, 3):
        raise MolStudioError(
            f"The split sizes '{text}' have {len(values)} numbers; give 3 (train, validation, test) or 2 (train, test)."
        )
    total = sum(values)
    if math.isfinite(total) and abs(total - 100) <= 1e-4:
        values = [v / 100 for v in values]
    return _check_sizes(values)


def _positions(values: Iterable) -> np.ndarray:
    arr = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=np.int64)
    return np.sort(arr.astype(np.int64, copy=False).ravel())


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise MolStudioError(f"The number of compounds must be a whole number (got {n!r}).")
    if n < 2:
        raise MolStudioError(f"At least 2 compounds are needed to split a data set; there are {n}.")
    return int(n)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise MolStudioError(f"The random seed must be a whole number from 0 to {2**32 - 1} (got {seed!r}).")
    return int(seed)


def _check_sizes(sizes: Sequence[float]) -> tuple[float, float, float]:
    try:
        values = [float(s) for s in sizes]
    except (TypeError, ValueError):
        raise MolStudioError(f"Cannot read the split sizes {sizes!r}; give three fractions such as 0.8, 0.1, 0.1.") from None
    if len(values) == 2:
        values = [values[0], 0.0, values[1]]
    if len(values) != 3:
        raise MolStudioError(f"Give three split sizes (train, validation, test); got {len(values)}.")
    if not all(math.isfinite(v) for v in values) or min(values) < 0:
        raise MolStudioError(f"Split sizes cannot be negative: {', '.join(f'{v:g}' for v in values)}.")
    total = sum(values)
    if abs(total - 1) > 1e-6:
        raise MolStudioError(
            f"The split sizes must add up to 1; {', '.join(f'{v:g}' for v in values)} add up to {total:g}.",
            hint="For example 0.8, 0.1, 0.1 (or 80, 10, 10 as percentages).",
        )
    if values[0] <= 0:
        raise MolStudioError("The training set cannot be empty: give it a size above 0.")
    return values[0], values[1], values[2]


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5 + 1e-9))


def _target_counts(n: int, sizes: tuple[float, float, float]) -> tuple[int, int, int]:
    # Largest remainders, so the counts always add up to n.
    raw = np.asarray(sizes) * n
    counts = np.floor(raw + 1e-9).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - int(counts.sum())]:
        counts[i] += 1
    # A requested validation or test set gets at least one compound while training keeps one.
    for i in (2, 1):
        if sizes[i] > 0 and counts[i] == 0 and counts[0] > 1:
            counts[i] += 1
            counts[0] -= 1
    if counts[0] == 0:
        raise MolStudioError(
            f"With {n} compounds and sizes {', '.join(f'{s:g}' for s in sizes)} the training set would be empty.",
            hint="Give the training set a larger share.",
        )
    return int(counts[0]), int(counts[1]), int(counts[2])


def _scaffold_groups(smiles: Sequence[str | None] | None, n: int) -> tuple[np.ndarray, int]:
    """Group number per row by Bemis–Murcko scaffold, and the count of unreadable structures."""
    if smiles is None:
        raise MolStudioError("A scaffold split needs the structures (SMILES).", hint="Choose the structure column.")
    smiles = list(smiles)
    if len(smiles) != n:
        raise MolStudioError(f"Got {len(smiles)} structures for {n} rows.")
    keys: list[str] = []
    unparsable = 0
    with rdBase.BlockLogs():
        for i, s in enumerate(smiles):
            scaffold = None
            if isinstance(s, str) and s.strip():
                try:
                    scaffold = MurckoScaffoldSmiles(smiles=s.strip())
                except Exception:  # RDKit raises assorted types for unreadable input
                    scaffold = None
            if scaffold is None:
                unparsable += 1
                scaffold = f"\x00unreadable row {i}"  # never a valid SMILES: a group of its own
            keys.append(scaffold)
    codes, _ = pd.factorize(pd.Series(keys, dtype=object))
    return codes.astype(np.int64), unparsable


def _assign_groups(
    positions: np.ndarray, groups: np.ndarray, targets: tuple[int, int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill train, then val, then test with whole groups, largest groups first."""
    sub = groups[positions]
    order = np.argsort(sub, kind="stable")
    uniq, starts = np.unique(sub[order], return_index=True)
    members = np.split(positions[order], starts[1:])
    perm = rng.permutation(len(members))  # seeded tie-break among equal-sized groups
    ranked = perm[np.argsort([-len(members[g]) for g in perm], kind="stable")]
    parts: tuple[list, list, list] = ([], [], [])
    filled = [0, 0, 0]
    for rank, g in enumerate(ranked):
        size = len(members[g])
        if rank == 0 or filled[0] + size <= targets[0]:
            k = 0  # the largest group always trains, even when it exceeds the training share
        elif filled[1] + size <= targets[1]:
            k = 1
        elif targets[2] > 0:
            k = 2
        else:
            k = 1 if targets[1] > 0 else 0
        parts[k].append(members[g])
        filled[k] += size
    train, val, test = (np.concatenate(p) if p else np.empty(0, dtype=np.int64) for p in parts)
    return train, val, test


def _size_warnings(split: Split, targets: tuple[int, int, int]) -> list[str]:
    n = sum(targets)
    got = split.counts()
    if all(abs(got[name] - t) <= max(1, 0.05 * n) for name, t in zip(_NAMES, targets)):
        return []
    shares = "/".join(f"{100 * got[name] / n:.0f}" for name in _NAMES)
    wanted = "/".join(f"{100 * t / n:.0f}" for t in targets)
    return [
        f"The scaffold split holds {shares} % (train/validation/test) instead of {wanted} %, "
        "because compounds sharing a scaffold stay together."
    ]


def _label_matrix(labels: np.ndarray | Sequence, n: int) -> np.ndarray:
    lab = np.asarray(labels, dtype=object if not isinstance(labels, np.ndarray) else None)
    if lab.ndim == 1:
        lab = lab[:, None]
    if lab.ndim != 2 or lab.shape[0] != n:
        raise MolStudioError(f"Got labels of shape {np.shape(labels)} for {n} rows.")
    return lab


def _is_continuous(values: pd.Series) -> bool:
    numeric = pd.to_numeric(values, errors="coerce").dropna()
    if len(numeric) < values.dropna().size:
        return False  # text classes
    as_float = np.asarray(numeric, dtype=float)
    return bool(np.any(as_float != np.round(as_float)))


def _strata(labels: np.ndarray | Sequence, n: int) -> np.ndarray:
    """Integer class per row from the first task; missing labels form a class of their own."""
    first = pd.Series(_label_matrix(labels, n)[:, 0])
    if _is_continuous(first):
        raise MolStudioError(
            "A stratified split needs class labels, but the target holds continuous values.",
            hint="Use a random or scaffold split for regression targets.",
        )
    codes, _ = pd.factorize(first, use_na_sentinel=True)  # NaN -> -1, a stratum of its own
    return codes.astype(np.int64)


def _stratified_take(
    positions: np.ndarray, count: int, strata: np.ndarray, rng: np.random.Generator, what: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Take ``count`` of ``positions`` keeping class ratios; returns (kept, taken)."""
    if count == 0:
        return positions, positions[:0]
    seed = int(rng.integers(2**31))
    y = strata[positions]
    values, inverse, sizes = np.unique(y, return_inverse=True, return_counts=True)
    # sklearn refuses classes with a single member: pool those with the largest class.
    y = np.where(sizes[inverse] < 2, values[np.argmax(sizes)], y)
    try:
        kept, taken = train_test_split(positions, test_size=count, stratify=y, random_state=seed)
    except ValueError:
        notes.append(f"Too few compounds per class to stratify the {what} set; it was drawn at random.")
        kept, taken = train_test_split(positions, test_size=count, random_state=seed)
    return kept, taken


def _format_class(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _class_warnings(split: Split, labels: np.ndarray | Sequence) -> list[str]:
    lab = np.asarray(labels, dtype=object if not isinstance(labels, np.ndarray) else None)
    lab = lab[:, None] if lab.ndim == 1 else lab
    notes = []
    for t in range(lab.shape[1]):
        column = pd.Series(lab[:, t])
        if _is_continuous(column):
            continue
        task = f" for target {t + 1}" if lab.shape[1] > 1 else ""
        for name in _NAMES:
            rows = getattr(split, name)
            present = column.iloc[rows].dropna().unique() if rows.size else []
            if len(present) != 1:
                continue
            consequence = (
                "the model cannot learn to tell classes apart."
                if name == "train"
                else "ROC-AUC cannot be computed there."
            )
            notes.append(f"The {_LONG[name]} set holds only one class ({_format_class(present[0])}){task}: {consequence}")
    return notes


def _column_split(column: Sequence | None, n: int) -> Split:
    if column is None:
        raise MolStudioError("A predefined split needs a split column.", hint="Choose the column that says train, val or test.")
    values = list(column)
    if len(values) != n:
        raise MolStudioError(f"The split column has {len(values)} values for {n} rows.")
    assigned = []
    for i, value in enumerate(values):
        name = _COLUMN_VALUES.get(value.strip().lower()) if isinstance(value, str) else None
        if name is None:
            shown = "an empty cell" if _is_blank(value) else f"'{value}'"
            raise MolStudioError(
                f"The split column holds {shown} in row {i + 1} of the data (not counting the header).",
                hint="Each row must say train, val (or valid, validation) or test.",
            )
        assigned.append(name)
    labels = np.asarray(assigned)
    train, val, test = (np.flatnonzero(labels == name) for name in _NAMES)
    split = Split(train, val, test)
    if split.train.size == 0:
        raise MolStudioError("The split column marks no row as train: the training set would be empty.")
    return split


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
