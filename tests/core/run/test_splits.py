"""Tests of molstudio.core.run.splits."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

from molstudio.core.errors import MolStudioError
from molstudio.core.run.splits import (
    SPLIT_METHODS,
    Split,
    kfold,
    make_split,
    parse_sizes,
)

# 12 benzenes, 7 pyridines, 5 cyclohexanes, 3 naphthalenes, 3 acyclic, 1 unreadable.
SMILES = (
    [f"c1ccccc1{'C' * i}" for i in range(1, 7)]
    + [f"Oc1ccccc1{'C' * i}" for i in range(1, 7)]
    + [f"c1ccncc1{'C' * i}" for i in range(1, 8)]
    + [f"C1CCCCC1{'C' * i}O" for i in range(1, 6)]
    + ["c1ccc2ccccc2c1", "Cc1ccc2ccccc2c1", "Oc1ccc2ccccc2c1"]
    + ["CCO", "CCCN", "CC(=O)O"]
    + ["C1CC(not smiles"]
)


def _scaffold(s: str) -> str:
    try:
        return MurckoScaffoldSmiles(smiles=s)
    except Exception:
        return "?" + s


def _check_partition(split: Split, n: int) -> None:
    rows = np.concatenate([split.train, split.val, split.test])
    assert sorted(rows.tolist()) == list(range(n))
    for part in (split.train, split.val, split.test):
        assert np.all(np.diff(part) > 0)
        assert part.dtype.kind == "i"


@pytest.mark.parametrize("n", [2, 3, 7, 10, 101, 1000])
def test_random_sizes_sum_to_n_and_are_disjoint(n: int) -> None:
    split = make_split(n, "random", (0.8, 0.1, 0.1), seed=1)
    _check_partition(split, n)
    assert split.train.size >= 1


def test_random_counts_and_labels() -> None:
    split = make_split(100, sizes=(0.7, 0.2, 0.1))
    assert split.counts() == {"train": 70, "val": 20, "test": 10}
    labels = split.as_labels(100)
    assert (labels == "train").sum() == 70 and (labels[split.val] == "val").all() and (labels[split.test] == "test").all()


def test_same_seed_same_split_other_seed_other_split() -> None:
    a, b, c = make_split(200, seed=5), make_split(200, seed=5), make_split(200, seed=6)
    assert all(np.array_equal(getattr(a, s), getattr(b, s)) for s in ("train", "val", "test"))
    assert not np.array_equal(a.test, c.test)


def test_zero_validation_gives_no_validation_set() -> None:
    split = make_split(50, sizes=(0.8, 0.0, 0.2))
    assert split.val.size == 0 and split.counts() == {"train": 40, "val": 0, "test": 10}
    assert split.warnings == []
    assert make_split(50, sizes=(0.9, 0.1, 0.0)).test.size == 0


@pytest.mark.parametrize(
    "n, sizes",
    [(1, (0.8, 0.1, 0.1)), (10, (0.8, 0.3, 0.1)), (10, (0.9, -0.1, 0.2)), (10, (0.0, 0.5, 0.5)), (2, (0.2, 0.4, 0.4))],
)
def test_bad_sizes_raise(n: int, sizes: tuple) -> None:
    with pytest.raises(MolStudioError):
        make_split(n, sizes=sizes)


def test_unknown_method_and_missing_inputs_raise() -> None:
    with pytest.raises(MolStudioError, match="Unknown split method"):
        make_split(10, "cluster")
    with pytest.raises(MolStudioError, match="SMILES"):
        make_split(10, "scaffold")
    with pytest.raises(MolStudioError, match="labels"):
        make_split(10, "stratified")
    assert set(SPLIT_METHODS) == {"random", "scaffold", "stratified", "column"}


def test_scaffold_split_keeps_scaffolds_together_and_biggest_in_train() -> None:
    n = len(SMILES)
    for seed in range(4):
        split = make_split(n, "scaffold", (0.6, 0.2, 0.2), seed=seed, smiles=SMILES)
        _check_partition(split, n)
        labels = split.as_labels(n)
        by_scaffold: dict[str, set] = {}
        for s, lab in zip(SMILES, labels):
            by_scaffold.setdefault(_scaffold(s), set()).add(lab)
        assert all(len(v) == 1 for v in by_scaffold.values())
        assert by_scaffold["c1ccccc1"] == {"train"}  # the biggest group, 12 benzenes
        assert any("could not be read" in w for w in split.warnings)


def test_scaffold_split_is_deterministic_per_seed() -> None:
    a = make_split(len(SMILES), "scaffold", seed=3, smiles=SMILES)
    b = make_split(len(SMILES), "scaffold", seed=3, smiles=SMILES)
    assert np.array_equal(a.test, b.test) and np.array_equal(a.val, b.val)


def test_scaffold_largest_group_trains_even_when_too_big() -> None:
    smiles = ["CCO"] * 18 + ["c1ccccc1", "c1ccncc1"]
    split = make_split(20, "scaffold", (0.5, 0.25, 0.25), smiles=smiles)
    assert set(range(18)) <= set(split.train.tolist())
    assert any("instead of" in w for w in split.warnings)


def test_stratified_keeps_class_ratio() -> None:
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.r_[np.zeros(150), np.ones(50)])
    split = make_split(200, "stratified", (0.8, 0.1, 0.1), seed=2, labels=labels)
    _check_partition(split, 200)
    for part in (split.train, split.val, split.test):
        assert abs(labels[part].sum() - 0.25 * part.size) <= 1
    assert split.warnings == []


def test_stratified_multitask_nan_and_singleton_class() -> None:
    labels = np.column_stack([np.r_[np.zeros(40), np.ones(18), [np.nan], [2.0]], np.ones(60)])
    split = make_split(60, "stratified", (0.6, 0.2, 0.2), seed=0, labels=labels)
    _check_partition(split, 60)
    assert abs(labels[split.test, 0].tolist().count(1.0) - 18 * 0.2) <= 1.5


def test_stratified_rejects_continuous_labels() -> None:
    with pytest.raises(MolStudioError, match="continuous"):
        make_split(20, "stratified", labels=np.linspace(0.1, 3.3, 20))


def test_column_split_accepts_aliases() -> None:
    column = ["train", " Train", "VAL", "valid", "Validation ", "test", "TEST", "train"]
    split = make_split(8, "column", column=column)
    assert split.train.tolist() == [0, 1, 7]
    assert split.val.tolist() == [2, 3, 4]
    assert split.test.tolist() == [5, 6]


@pytest.mark.parametrize("bad, shown", [("tst", "'tst'"), (None, "an empty cell"), (float("nan"), "an empty cell")])
def test_column_split_bad_value_names_row(bad: object, shown: str) -> None:
    with pytest.raises(MolStudioError) as err:
        make_split(4, "column", column=["train", "test", bad, "oops"])
    assert "row 3" in err.value.message and shown in err.value.message


def test_column_split_without_training_rows_raises() -> None:
    with pytest.raises(MolStudioError, match="training"):
        make_split(3, "column", column=["test", "val", "test"])


def test_one_class_warning() -> None:
    labels = np.array([1, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    split = make_split(10, "column", column=["train"] * 6 + ["val", "val", "test", "test"], labels=labels)
    assert split.warnings == [
        "The validation set holds only one class (1): ROC-AUC cannot be computed there.",
        "The test set holds only one class (0): ROC-AUC cannot be computed there.",
    ]
    assert make_split(10, "column", column=["train"] * 6 + ["val", "test", "val", "test"], labels=labels).warnings == []
    only_ones = make_split(4, "column", column=["train", "train", "test", "test"], labels=[1, 1, 0, 1])
    assert only_ones.warnings == ["The training set holds only one class (1): the model cannot learn to tell classes apart."]
    folds = kfold(10, k=2, labels=np.r_[np.ones(9), [np.nan]], val_fraction=0)
    assert all(any(w.startswith(f"Fold {i}: The test set holds only one class (1)") for w in f.warnings) for i, f in enumerate(folds, 1))


@pytest.mark.parametrize("method", ["random", "stratified", "scaffold"])
def test_kfold_covers_every_row_once_as_test(method: str) -> None:
    n = len(SMILES)
    labels = np.arange(n) % 2
    folds = kfold(n, k=4, seed=1, method=method, labels=labels, smiles=SMILES, val_fraction=0.2)
    assert len(folds) == 4
    tests = np.concatenate([f.test for f in folds])
    assert sorted(tests.tolist()) == list(range(n))
    for fold in folds:
        _check_partition(fold, n)
        assert fold.val.size >= 1
    if method == "scaffold":
        scaffolds = [_scaffold(s) for s in SMILES]
        for fold in folds:
            inside = {scaffolds[i] for i in fold.test}
            assert not inside & {scaffolds[i] for i in np.r_[fold.train, fold.val]}


def test_kfold_no_validation_and_errors() -> None:
    folds = kfold(20, k=5, val_fraction=0.0)
    assert all(f.val.size == 0 and f.counts()["test"] == 4 for f in folds)
    assert [f.test.tolist() for f in folds] == [f.test.tolist() for f in kfold(20, k=5, val_fraction=0.0)]
    with pytest.raises(MolStudioError):
        kfold(3, k=5)
    with pytest.raises(MolStudioError):
        kfold(10, k=1)
    with pytest.raises(MolStudioError, match="scaffolds"):
        kfold(6, k=3, method="scaffold", smiles=["CCO", "CCN", "CCC", "c1ccccc1C", "c1ccccc1O", "c1ccccc1N"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.8,0.1,0.1", (0.8, 0.1, 0.1)),
        ("80,10,10", (0.8, 0.1, 0.1)),
        (" 80 / 10 / 10 ", (0.8, 0.1, 0.1)),
        ("70%,15%,15%", (0.7, 0.15, 0.15)),
        ("0.8,0.2", (0.8, 0.0, 0.2)),
        ("0,8;0,1;0,1", (0.8, 0.1, 0.1)),
        ("0.8,0,0.2", (0.8, 0.0, 0.2)),
    ],
)
def test_parse_sizes(text: str, expected: tuple) -> None:
    assert parse_sizes(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "0.8", "0.5,0.2,0.2", "0.8,0.1,0.05,0.05", "1.2,-0.1,-0.1", "0,0.5,0.5", "8,1,1"])
def test_parse_sizes_errors(text: str) -> None:
    with pytest.raises(MolStudioError):
        parse_sizes(text)
