"""Training: reports per epoch, early stopping, cancel, NaN stop, tasks."""

import threading

import numpy as np
import pytest
from factories import descriptor_table, logp_table, nitrogen_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.training.loop import run_to_end, train
from molstudio.core.training.reports import EpochReport, FinishedReport, StageReport


def _config(**training):
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [32, 32], "dropout": 0.0})
    cfg.training = {"epochs": 20, "patience": 0, "lr": 3e-3, "batch_size": 32, **training}
    return cfg


def test_one_report_per_epoch_with_validation_predictions():
    frame = descriptor_table(120)
    reports = list(train(_config(epochs=7), frame))
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert [r.epoch for r in epochs] == list(range(1, 8))
    assert isinstance(reports[0], StageReport)
    assert isinstance(reports[-1], FinishedReport)
    first = epochs[0]
    assert len(first.val_rows) == len(first.val_pred) == 12  # 10 % of 120
    assert first.val_pred.shape == (12, 1)
    assert np.allclose(first.val_true[:, 0], frame["y"].to_numpy()[first.val_rows])
    assert "rmse" in first.val_metrics and "r2" in first.val_metrics


def test_descriptor_table_learns_far_better_than_the_mean():
    frame = descriptor_table(300)
    final = run_to_end(_config(epochs=150, lr=1e-2), frame)
    assert final.model is not None
    test = final.metrics["test"]
    assert test["r2"] > 0.8, test
    assert final.seconds["train"] > 0


def test_structures_regression_with_default_features():
    frame = logp_table()
    cfg = _config(epochs=60)
    final = run_to_end(cfg, frame)
    assert final.model.config.structure_column == "smiles"
    assert final.model.config.features == ["morgan_count", "rdkit2d"]
    # Crippen logP is almost a linear function of rdkit2d (it is one of them)
    assert final.metrics["train"]["r2"] > 0.9


def test_early_stopping_restores_best_epoch():
    frame = descriptor_table(150)
    final = run_to_end(_config(epochs=400, patience=3, lr=0.05), frame)
    assert final.stopped == "early_stopping"
    assert final.epochs_run < 400
    assert final.epochs_run - final.best_epoch == 3
    best_val = min(h["val_loss"] for h in final.history)
    assert final.history[final.best_epoch - 1]["val_loss"] == best_val


def test_no_validation_set_means_no_early_stopping():
    frame = descriptor_table(100)
    cfg = _config(epochs=12, patience=2, lr=0.5)
    cfg.split = SplitConfig("random", (0.8, 0.0, 0.2), 0)
    final = run_to_end(cfg, frame)
    assert final.epochs_run == 12
    assert final.split_counts["val"] == 0
    assert all(h["val_loss"] is None for h in final.history)


def test_cancel_keeps_the_best_model_so_far():
    frame = descriptor_table(200)
    cancel = threading.Event()
    final = None
    for report in train(_config(epochs=1000, batch_size=8), frame, cancel):
        if isinstance(report, EpochReport) and report.epoch == 3:
            cancel.set()
        if isinstance(report, FinishedReport):
            final = report
    assert final.stopped == "cancelled"
    assert final.epochs_run == 3
    assert final.model is not None
    preds = final.model.predict_frame(frame.head(5))
    assert np.isfinite(preds["y_predicted"]).all()


def test_cancel_before_any_epoch_gives_no_model():
    cancel = threading.Event()
    cancel.set()
    final = run_to_end(_config(), descriptor_table(50), cancel)
    assert final.stopped == "cancelled" and final.model is None


def test_exploding_loss_stops_with_a_clear_message():
    cfg = _config(epochs=50, optimizer="sgd", lr=10.0, momentum=0.9, weight_decay=0.0)
    cfg.hparams = {"hidden_sizes": [256, 256], "dropout": 0.0}
    with pytest.raises(MolStudioError, match="not a number|loss became"):
        run_to_end(cfg, descriptor_table(100))


def test_classification_reports_roc_auc_and_probabilities():
    frame = nitrogen_table()
    cfg = _config(epochs=40)
    cfg.split = SplitConfig("stratified", (0.6, 0.2, 0.2), 0)
    final = run_to_end(cfg, frame)
    assert final.model.task == "classification"
    assert {"roc_auc", "accuracy", "mcc", "pr_auc"} <= set(final.metrics["test"])
    assert final.metrics["train"]["roc_auc"] > 0.95
    preds = final.model.predict_frame(frame)
    assert preds["has_n_probability"].between(0, 1).all()
    assert set(preds["has_n_predicted"]) <= {"0", "1"}


def test_text_class_labels_are_mapped_and_restored():
    frame = nitrogen_table()
    frame["activity_class"] = np.where(frame["has_n"] == 1, "active", "inactive")
    cfg = _config(epochs=30)
    cfg.targets = ["activity_class"]
    final = run_to_end(cfg, frame.drop(columns=["has_n"]))
    assert final.model.classes == [["inactive", "active"]]
    preds = final.model.predict_frame(frame)
    assert set(preds["activity_class_predicted"]) <= {"active", "inactive"}


def test_multitask_with_missing_labels_is_masked():
    frame = logp_table()
    rng = np.random.default_rng(0)
    frame["logp2"] = frame["logp"] * 2
    frame.loc[rng.choice(len(frame), 20, replace=False), "logp2"] = np.nan
    frame.loc[rng.choice(len(frame), 10, replace=False), "logp"] = np.nan
    cfg = _config(epochs=30)
    cfg.targets = ["logp", "logp2"]
    cfg.features = ["rdkit2d"]
    final = run_to_end(cfg, frame)
    per_task = final.metrics["test"]["per_task"]
    assert set(per_task) == {"logp", "logp2"}
    assert np.isfinite(final.history[-1]["train_loss"])


def test_invalid_structures_are_left_out_with_their_reason():
    frame = logp_table(30)
    frame.loc[3, "smiles"] = "C1CC"
    frame.loc[7, "smiles"] = ""
    frame.loc[9, "smiles"] = "C(C)(C)(C)(C)C"
    final = run_to_end(_config(epochs=3), frame)
    skipped = dict(final.skipped)
    assert set(skipped) == {3, 7, 9}
    assert "empty" in skipped[7]
    assert "valence" in skipped[9].lower()
    assert sum(final.split_counts.values()) == 27


def test_second_run_on_the_same_table_does_not_featurize_again():
    from molstudio.core.featurize.featurizers import CACHE

    frame = logp_table()
    CACHE.clear()
    first = run_to_end(_config(epochs=1), frame)
    misses = CACHE.misses
    second = run_to_end(_config(epochs=1, seed=1), frame)
    assert CACHE.misses == misses  # every molecule came from the cache
    assert second.seconds["featurize"] < first.seconds["featurize"]


def test_same_seeds_give_the_same_model():
    frame = descriptor_table(100)
    a = run_to_end(_config(epochs=5), frame)
    b = run_to_end(_config(epochs=5), frame)
    assert a.metrics["test"]["rmse"] == pytest.approx(b.metrics["test"]["rmse"], rel=1e-6)
    c = run_to_end(_config(epochs=5, seed=3), frame)
    assert c.metrics["test"]["rmse"] != pytest.approx(a.metrics["test"]["rmse"], rel=1e-6)


def test_missing_target_column_is_named():
    with pytest.raises(MolStudioError, match="'pIC50'"):
        run_to_end(RunConfig(targets=["pIC50"]), descriptor_table(20))


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
@pytest.mark.parametrize("schedule", ["none", "cosine", "plateau"])
def test_every_optimizer_and_schedule_trains(optimizer, schedule):
    final = run_to_end(_config(epochs=4, optimizer=optimizer, lr_schedule=schedule, lr=1e-3,
                               grad_clip=1.0), descriptor_table(60))
    assert final.epochs_run == 4
    assert np.isfinite(final.metrics["val"]["rmse"])


def test_duplicate_structures_are_reported():
    frame = logp_table(20)
    frame.loc[5, "smiles"] = "OCC"  # ethanol again, written differently
    final = run_to_end(_config(epochs=2), frame)
    assert any("more than once" in w and "rows 1 and 6" in w for w in final.warnings)


def test_fingerprint_only_features_train_and_round_trip(tmp_path):
    from molstudio.core.trained.file import load_model, save_model

    cfg = _config(epochs=3)
    cfg.features = ["morgan_count(size=256)"]
    model = run_to_end(cfg, logp_table()).model
    again = load_model(save_model(model, tmp_path / "fp.molstudio"))
    np.testing.assert_array_equal(model.predict_frame(logp_table())["logp_predicted"],
                                  again.predict_frame(logp_table())["logp_predicted"])


def test_a_run_stopped_before_its_first_epoch_says_how_the_compounds_were_split():
    cancel = threading.Event()
    config = RunConfig(model="mlp", targets=["y"], hparams={"hidden_sizes": [8]},
                       training={"epochs": 50, "device": "cpu", "batch_size": 8})
    final = None
    for report in train(config, descriptor_table(60), cancel):
        if isinstance(report, StageReport) and report.stage == "Computing features" and report.done == report.total:
            cancel.set()  # Stop pressed as the features are ready: no network has finished an epoch
        final = report
    assert isinstance(final, FinishedReport) and final.model is None and final.stopped == "cancelled"
    assert final.split_counts == {"train": 48, "val": 6, "test": 6}  # the counts, as every other end reports them
