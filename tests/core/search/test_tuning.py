"""Hyperparameter search: the space from the schema, pruning, improving, resuming a stored study."""

from __future__ import annotations

import threading

import optuna
import pytest
from factories import descriptor_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.search.space import SearchSpace, parse_override
from molstudio.core.search.tuning import (
    SearchFinished,
    TrialReport,
    best_config,
    open_study,
    tune,
)
from molstudio.core.training.reports import EpochReport


def _config(**training) -> RunConfig:
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [32, 32], "dropout": 0.0})
    cfg.training = {"epochs": 10, "patience": 0, "lr": 3e-3, "batch_size": 32, "device": "cpu", **training}
    return cfg


def _run(*args, **kwargs) -> tuple[list[TrialReport], SearchFinished]:
    reports = [r for r in tune(*args, **kwargs) if not isinstance(r, EpochReport)]
    assert isinstance(reports[-1], SearchFinished)
    return reports[:-1], reports[-1]


def _space(**overrides) -> SearchSpace:
    cfg = _config()
    return SearchSpace.for_model("mlp", {**cfg.resolved_hparams(), **cfg.resolved_training()}, overrides)


def test_space_comes_from_the_schema_around_the_run_settings():
    dims = {d.name: d for d in _space().dimensions}
    assert dims["lr"].log and dims["lr"].low == pytest.approx(3e-4) and dims["lr"].high == pytest.approx(3e-2)
    assert dims["batch_size"].low == 8 and dims["batch_size"].high == 128
    assert set(dims["activation"].choices) == {"relu", "leaky_relu", "selu", "tanh", "gelu"}
    assert dims["batch_norm"].choices == (False, True)
    assert dims["dropout"].low == 0.0 and 0 < dims["dropout"].high <= 0.9  # inside the schema's 0 .. 0.9
    assert dims["hidden_sizes"].kind == "layers" and dims["hidden_sizes"].max_layers == 3
    assert "epochs" not in dims and "ensemble" not in dims


def test_user_narrows_widens_and_fixes_settings():
    space = _space(lr=(1e-5, 0.5), activation=["relu", "gelu"], dropout=0.2, hidden_sizes=("16", "64"))
    dims = {d.name: d for d in space.dimensions}
    assert (dims["lr"].low, dims["lr"].high) == (1e-5, 0.5)  # wider than the default range
    assert dims["activation"].choices == ("relu", "gelu")
    assert "dropout" not in dims and space.fixed == {"dropout": 0.2}
    assert (dims["hidden_sizes"].low, dims["hidden_sizes"].high) == (16, 64)
    assert "dropout = 0.2 (fixed)" in space.describe()
    assert parse_override("lr=1e-4..1e-2") == ("lr", ("1e-4", "1e-2"))
    assert parse_override("activation=relu,gelu") == ("activation", ["relu", "gelu"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lr": (0, 0.01)}, "lr = 0.0 is outside the allowed range 1e-07 .. 10"),
        ({"dropout": (0.1, 2)}, "dropout = 2.0 is outside the allowed range 0 .. 0.9"),
        ({"lr": (0.1, 0.001)}, "The search range of lr goes from 0.1 down to 0.001"),
        ({"depth": (1, 4)}, "'depth' is not a setting the search can change for the 'mlp' architecture"),
        ({"activation": ["relu", "swish"]}, "'swish' is not a valid value for activation"),
    ],
)
def test_bad_search_ranges_are_refused_in_words(overrides, message):
    with pytest.raises(MolStudioError, match=message):
        _space(**overrides)


def test_search_improves_over_its_deliberately_bad_first_trial(tmp_path):
    storage = tmp_path / "search.db"
    study = open_study(storage, "logp", "minimize")
    bad = {"lr": 4e-4, "batch_size": 128, "hidden_sizes": [8], "dropout": 0.4, "weight_decay": 1e-2,
           "activation": "tanh", "batch_norm": False}  # slow, tiny and heavily regularized
    study.enqueue_trial(_space().trial_params(bad))
    trials, end = _run(_config(), descriptor_table(100), trials=4, storage=storage, study_name="logp", seed=0)
    assert [t.number for t in trials] == [0, 1, 2, 3]
    first = trials[0]
    assert first.state == "complete" and first.params["lr"] == pytest.approx(4e-4)
    assert first.params["hidden_sizes"] == [8]
    assert end.best_number != 0 and end.best_value < first.value
    assert end.metric == "rmse" and end.stopped == "completed" and end.trials_run == 4


def test_a_hopeless_trial_is_pruned_early(tmp_path):
    storage = tmp_path / "search.db"
    study = open_study(storage, "prune", "minimize")
    space = _space(lr=(1e-7, 0.1))
    for lr in (3e-3, 1e-2, 1e-7):
        study.enqueue_trial(space.trial_params({"lr": lr, "batch_size": 32, "hidden_sizes": [32]}))
    trials, _ = _run(_config(), descriptor_table(100), trials=3, storage=storage, study_name="prune",
                     overrides={"lr": (1e-7, 0.1)}, seed=0)
    assert [t.state for t in trials] == ["complete", "complete", "pruned"]
    assert trials[2].epochs < 10  # stopped before its last epoch
    assert optuna.load_study(study_name="prune", storage=f"sqlite:///{storage}").trials[2].state.name == "PRUNED"


def test_a_stored_study_resumes_numbering_and_keeps_its_best(tmp_path):
    storage = tmp_path / "search.db"
    frame = descriptor_table(100)
    base = _config(ensemble=3)
    base.hparams["hidden_sizes"] = [32, 16]  # layers of two widths: kept as they are in the first trial
    first, end1 = _run(base, frame, trials=2, storage=storage, study_name="s", seed=0)
    assert first[0].params["lr"] == pytest.approx(3e-3)  # a new study starts from the run's own settings
    assert first[0].params["hidden_sizes"] == [32, 16]
    second, end2 = _run(base, frame, trials=2, storage=str(storage), study_name="s", seed=1)
    assert [t.number for t in second] == [2, 3]
    assert end2.best_value <= end1.best_value
    assert len(optuna.load_study(study_name="s", storage=f"sqlite:///{storage}").trials) == 4
    best = best_config(storage, "s")
    assert best.resolved_training()["lr"] == pytest.approx(end2.best_params["lr"])
    assert best.resolved_hparams()["hidden_sizes"] == end2.best_params["hidden_sizes"]
    assert best.resolved_training()["ensemble"] == 3  # searched with one network, the run keeps its ensemble
    assert best.targets == ["y"] and best.descriptor_columns == ["f1", "f2", "f3", "f4"]


def test_a_stored_study_of_another_run_is_not_mixed_in(tmp_path):
    storage = tmp_path / "search.db"
    frame = descriptor_table(100)
    _run(_config(epochs=2), frame, trials=1, storage=storage, study_name="s")
    other = _config(epochs=2)
    other.model, other.hparams = "linear", {}
    with pytest.raises(MolStudioError, match="The search 's' already holds trials of another run \\(mlp on y\\)"):
        _run(other, frame, trials=1, storage=storage, study_name="s")


def test_stop_ends_the_search_and_leaves_no_running_trial(tmp_path):
    storage = tmp_path / "search.db"
    cancel = threading.Event()
    reports = []
    for report in tune(_config(epochs=50), descriptor_table(100), trials=5, storage=storage, study_name="s",
                       cancel=cancel):
        reports.append(report)
        if isinstance(report, EpochReport) and report.epoch == 2:
            cancel.set()
    assert isinstance(reports[-1], SearchFinished) and reports[-1].stopped == "cancelled"
    assert reports[-1].trials_run == 0 and reports[-1].best_number is None
    states = [t.state.name for t in optuna.load_study(study_name="s", storage=f"sqlite:///{storage}").trials]
    assert states == ["FAIL"]


def test_a_search_needs_a_validation_set_and_a_known_pruner():
    cfg = _config()
    cfg.split = SplitConfig(sizes=(0.8, 0.0, 0.2))
    with pytest.raises(MolStudioError, match="chooses settings on the validation set, and this split has none"):
        list(tune(cfg, descriptor_table(60), trials=1))
    with pytest.raises(MolStudioError, match="Unknown pruner 'fast'"):
        list(tune(_config(), descriptor_table(60), trials=1, pruner="fast"))


def test_cross_validated_trials_train_one_network_per_fold_and_score_their_mean(tmp_path):
    storage = tmp_path / "search.db"
    frame = descriptor_table(100)
    seen_sizes = []
    import molstudio.core.search.tuning as tuning

    real_train = tuning.train

    def spy(config, table, *args, **kwargs):
        sets = table[config.split.column].value_counts().to_dict()
        seen_sizes.append(sets)
        return real_train(config, table, *args, **kwargs)

    tuning.train = spy
    try:
        trials, end = _run(_config(epochs=4), frame, trials=2, storage=storage, study_name="cv", folds=3, seed=0)
    finally:
        tuning.train = real_train
    assert len(seen_sizes) == 6  # 2 trials x 3 folds
    first = seen_sizes[:3]
    assert all(s["test"] == 10 for s in first)  # the test compounds stay out of every fold
    assert sorted(s["val"] for s in first) == [30, 30, 30] and all(s["train"] == 60 for s in first)
    assert trials[0].state == "complete" and trials[0].epochs == 12 and end.best_value is not None
    with pytest.raises(MolStudioError, match="scored by 3-fold cross-validation"):
        _run(_config(epochs=4), frame, trials=1, storage=storage, study_name="cv")  # scored otherwise: not mixed
    with pytest.raises(MolStudioError, match="Cross-validation needs 2 to 10 folds"):
        _run(_config(), frame, trials=1, folds=1)


def test_cross_validation_needs_no_validation_set():
    cfg = _config(epochs=2)
    cfg.split = SplitConfig(sizes=(0.8, 0.0, 0.2))
    trials, end = _run(cfg, descriptor_table(60), trials=1, folds=2)
    assert trials[0].state == "complete" and end.best_value > 0
