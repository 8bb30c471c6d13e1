"""The learning-curve tool: nested training subsets, a fixed validation set, a reading in words."""

import threading

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.search.curves import (
    CurvePoint,
    LearningCurve,
    learning_curve,
    read_curve,
)
from molstudio.core.training.reports import StageReport


def _config(**training):
    return RunConfig(targets=["y"], model="mlp", hparams={"hidden_sizes": [32]},
                     training={"epochs": 40, "patience": 0, "lr": 0.01, "device": "cpu", **training})


def _run(config, frame, **kwargs):
    items = list(learning_curve(config, frame, **kwargs))
    assert isinstance(items[-1], LearningCurve)
    return items[-1], [i for i in items if isinstance(i, CurvePoint)]


@pytest.fixture(scope="module")
def regression_curve():
    return _run(_config(), descriptor_table(300), fractions=(0.1, 0.3, 1.0))


def test_subsets_are_nested_and_validation_rows_fixed(regression_curve):
    curve, points = regression_curve
    assert [p.n_train for p in curve.points] == [24, 72, 240]  # 80 % of 300 compounds train
    assert points == curve.points  # each point was reported as it finished
    for small, large in zip(curve.points, curve.points[1:]):
        assert set(small.train_rows) < set(large.train_rows)
        np.testing.assert_array_equal(small.val_rows, large.val_rows)
    assert curve.points[0].val_rows.size == 30
    assert not set(curve.points[-1].train_rows) & set(curve.points[-1].val_rows)


def test_validation_error_falls_with_more_compounds(regression_curve):
    curve, _ = regression_curve
    first, last = curve.points[0].val_metric, curve.points[-1].val_metric
    assert last < 0.75 * first
    assert curve.metric == "rmse" and curve.stopped == "completed"
    assert curve.reading.startswith(f"Validation RMSE fell from {first:.2f} (24 compounds) to {last:.2f} (240)")
    plot = curve.arrays()
    np.testing.assert_array_equal(plot["n_train"], [24, 72, 240])
    assert plot["val"][0] == pytest.approx(first)


def test_points_written_as_csv(regression_curve, tmp_path):
    curve, _ = regression_curve
    path = tmp_path / "curve.csv"
    curve.write(path)
    table = pd.read_csv(path)
    assert list(table["n_train"]) == [24, 72, 240]
    assert list(table.columns[:5]) == ["fraction", "repeat", "n_train", "val_rmse", "train_rmse"]
    assert table["val_rmse"].iloc[-1] == pytest.approx(curve.points[-1].val_metric, rel=1e-6)


def test_reading_of_a_falling_curve():
    n = [50, 100, 200, 400]
    rmse = [1.10 * (k / 50) ** -0.4 + 0.05 for k in n]
    text = read_curve(n, rmse, "RMSE")
    assert text.startswith("Validation RMSE fell from 1.15 (50 compounds) to 0.53 (400)")
    assert "still falling: more measurements would likely help" in text
    assert "(about 0.41 expected with 800 compounds)" in text


def test_reading_of_a_flat_curve():
    n = [50, 100, 200, 400, 800]
    rmse = [1.10, 0.80, 0.72, 0.71, 0.71]
    text = read_curve(n, rmse, "RMSE")
    assert "has flattened: more of the same data is unlikely to help much" in text
    assert "try other features or a different model" in text


def test_reading_of_a_curve_that_does_not_improve_and_of_roc_auc():
    assert "did not improve as the training set grew" in read_curve([50, 100, 200], [0.9, 0.95, 0.92])
    rising = read_curve([50, 100, 200, 400], [0.60, 0.70, 0.77, 0.82], "ROC-AUC", higher_is_better=True)
    assert rising.startswith("Validation ROC-AUC rose from 0.60 (50 compounds) to 0.82 (400)")
    assert "still falling" in rising
    assert "too few points" in read_curve([100, 100], [0.5, 0.6])


def test_stop_mid_curve_keeps_the_points_so_far():
    cancel = threading.Event()
    seen = []
    for item in learning_curve(_config(epochs=30), descriptor_table(200), fractions=(0.2, 0.5, 1.0),
                               cancel=cancel):
        seen.append(item)
        if isinstance(item, StageReport) and "Run 2 of 3" in item.stage and "epoch 3/" in item.stage:
            cancel.set()  # during the second run
    curve = seen[-1]
    assert isinstance(curve, LearningCurve) and curve.stopped == "cancelled"
    assert [p.n_train for p in curve.points] == [32]
    assert curve.reading.startswith("Stopped after 1 of 3 runs.")
    assert "too few points" in curve.reading


def test_classification_keeps_both_classes_in_the_smallest_subset():
    frame = descriptor_table(200)
    frame["active"] = (frame["y"] > np.quantile(frame["y"], 0.93)).astype(int)  # 14 actives
    config = RunConfig(targets=["active"], model="linear",
                       training={"epochs": 5, "patience": 0, "device": "cpu", "ensemble": 3},
                       descriptor_columns=["f1", "f2", "f3", "f4"])
    curve, _ = _run(config, frame.drop(columns="y"), fractions=(0.02, 1.0), repeats=2)
    assert curve.metric == "roc_auc"
    assert "not the configured ensemble of 3" in curve.notes[0]
    smallest = [p for p in curve.points if p.fraction == 0.02]
    assert len(smallest) == 2 and smallest[0].n_train == 3
    for point in smallest:
        assert set(frame["active"].iloc[point.train_rows]) == {0, 1}
    assert not np.array_equal(smallest[0].train_rows, smallest[1].train_rows)  # each repeat its own draw


def test_bad_fractions_and_no_validation_set_are_refused():
    frame = descriptor_table(60)
    with pytest.raises(MolStudioError, match="above 0 and at most 1; got 1.5"):
        list(learning_curve(_config(), frame, fractions=(0.5, 1.5)))
    config = _config()
    config.split.sizes = (0.8, 0.0, 0.2)
    with pytest.raises(MolStudioError, match="measures each model on the validation set"):
        list(learning_curve(config, frame))


def test_a_duplicate_is_named_once_by_its_rows_in_the_users_table():
    from factories import logp_table

    frame = logp_table(40)
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)  # row 4 again as row 41
    config = RunConfig(targets=["logp"], model="mlp", features=["morgan_count(size=128)"],
                       hparams={"hidden_sizes": [8]}, training={"epochs": 2, "patience": 0, "device": "cpu"})
    curve, _ = _run(config, frame, fractions=(0.5, 1.0), repeats=2)
    duplicates = [w for w in curve.warnings if "more than once" in w]
    assert len(duplicates) == 1, curve.warnings
    assert "rows 4 and 41" in duplicates[0]
