"""Autosave: a running training keeps its best model so far on disk, as a normal model file."""

import json
import threading

import numpy as np
import pytest
from factories import descriptor_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.trained import file as bundle
from molstudio.core.training import autosave as autosave_module
from molstudio.core.training.autosave import (
    Autosaver,
    find_autosaves,
    remove_autosave,
    sidecar_path,
)
from molstudio.core.training.loop import run_to_end, train
from molstudio.core.training.reports import EpochReport, FinishedReport

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


def _config(**training):
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16, 16], "dropout": 0.0})
    cfg.training = {"epochs": 8, "patience": 0, "lr": 1e-2, "batch_size": 32, "device": "cpu", **training}
    return cfg


def _predict(model_or_path, frame):
    model = bundle.load_model(model_or_path) if not hasattr(model_or_path, "networks") else model_or_path
    return model.predict_frame(frame)["y_predicted"].to_numpy()


def test_the_best_model_so_far_is_on_disk_during_training_and_predicts_as_it_did(tmp_path):
    frame = descriptor_table(100)
    path = tmp_path / "run.molstudio"
    checked = []
    for report in train(_config(), frame, autosave=Autosaver(path, {"source": "data.csv"}, interval=0)):
        if isinstance(report, EpochReport) and report.best_epoch == report.epoch and report.epoch >= 2:
            # this epoch is the best so far: the file holds exactly this network
            saved = _predict(path, frame.iloc[report.val_rows])
            assert np.allclose(saved, report.val_pred[:, 0], atol=1e-5)
            info = json.loads(sidecar_path(path).read_text())
            assert info["epoch"] == info["best_epoch"] == report.epoch
            assert info["state"] == "running" and info["source"] == "data.csv"
            assert info["architecture"] == "mlp" and info["targets"] == ["y"]
            assert info["val_loss"] == pytest.approx(report.val_loss)
            checked.append(report.epoch)
    assert len(checked) >= 2
    assert isinstance(report, FinishedReport)
    # at the end the file holds the final model, metrics and all
    assert np.allclose(_predict(path, frame), _predict(report.model, frame), atol=1e-6)
    assert bundle.load_model(path).metrics["test"]["rmse"] == pytest.approx(report.metrics["test"]["rmse"])
    assert json.loads(sidecar_path(path).read_text())["state"] == "completed"


def test_an_ensemble_in_progress_saves_the_finished_networks_and_the_current_best(tmp_path):
    frame = descriptor_table(100)
    path = tmp_path / "ensemble.molstudio"
    cancel = threading.Event()
    during = None
    for report in train(_config(ensemble=3), frame, cancel, autosave=Autosaver(path, interval=0)):
        if isinstance(report, EpochReport) and report.member == 1 and report.best_epoch == report.epoch:
            during = bundle.load_model(path)
            info = json.loads(sidecar_path(path).read_text())
            cancel.set()  # so that the final model is this one: network 1 as it is now, network 2 untrained
    assert len(during.networks) == 2
    assert info["members_done"] == 1 and info["members"] == 3 and info["members_saved"] == 2
    assert len(report.model.networks) == 2
    assert np.allclose(_predict(during, frame), _predict(report.model, frame), atol=1e-5)
    assert json.loads(sidecar_path(path).read_text())["state"] == "cancelled"


def test_autosaving_is_throttled_and_costs_little(tmp_path):
    saver = Autosaver(tmp_path / "slow.molstudio", interval=3600)
    final = run_to_end_with(saver, _config(epochs=10, ensemble=2), descriptor_table(100))
    # the first best, the end of network 1, the end of the run: three writes for 20 epochs
    assert saver.saves == 3
    assert saver.seconds < 0.1 * final.seconds["total"] + 0.5


def run_to_end_with(saver, cfg, frame):
    *_, final = train(cfg, frame, autosave=saver)
    return final


def test_a_path_is_enough_and_autosaving_does_not_change_the_model(tmp_path):
    frame = descriptor_table(100)
    cfg = _config(epochs=6)
    cfg.hparams["dropout"] = 0.3  # dropout draws random numbers: the autosave must not take any
    with_autosave = run_to_end_with(tmp_path / "plain.molstudio", cfg, frame)
    without = run_to_end(cfg, frame)
    assert np.array_equal(_predict(with_autosave.model, frame), _predict(without.model, frame))
    assert (tmp_path / "plain.molstudio").is_file() and sidecar_path(tmp_path / "plain.molstudio").is_file()


def test_a_fault_during_training_keeps_the_best_model_so_far(tmp_path, monkeypatch):
    from molstudio.core.training import fitting

    frame = descriptor_table(100)
    path = tmp_path / "crashed.molstudio"
    real_loss = fitting.masked_loss
    calls = [0]

    def failing_loss(*args):
        calls[0] += 1
        if calls[0] > 9:  # three epochs of three batches, then a bug
            raise RuntimeError("an unexpected fault")
        return real_loss(*args)

    monkeypatch.setattr(fitting, "masked_loss", failing_loss)
    seen = []
    with pytest.raises(RuntimeError, match="unexpected fault"):
        # estimate=False: the estimate's measuring steps would count as losses too
        for report in train(_config(), frame, autosave=Autosaver(path, interval=3600), estimate=False):
            if isinstance(report, EpochReport):
                seen.append(report)
    info = json.loads(sidecar_path(path).read_text())
    assert info["state"] == "failed" and info["epoch"] == 3
    best = seen[info["best_epoch"] - 1]
    assert np.allclose(_predict(path, frame.iloc[best.val_rows]), best.val_pred[:, 0], atol=1e-5)


def test_a_full_disk_during_autosave_does_not_stop_the_training(tmp_path, monkeypatch):
    def full(model, path):
        raise MolStudioError(f"Could not write {path}: the disk is full.")

    monkeypatch.setattr(autosave_module, "save_model", full)
    final = run_to_end_with(tmp_path / "full.molstudio", _config(epochs=4), descriptor_table(60))
    assert final.stopped == "completed" and final.model is not None
    assert final.warnings == [f"The best model so far could not be autosaved. Could not write "
                              f"{tmp_path / 'full.molstudio'}: the disk is full."]
    assert not list(tmp_path.iterdir())


def test_leftover_autosaves_are_listed_newest_first_and_removed_whole(tmp_path):
    frame = descriptor_table(60)
    older, newer = tmp_path / "a.molstudio", tmp_path / "b.molstudio"
    run_to_end_with(Autosaver(older, {"source": "first.csv"}), _config(epochs=2), frame)
    run_to_end_with(Autosaver(newer, {"source": "second.csv"}), _config(epochs=2), frame)
    info = json.loads(sidecar_path(older).read_text())
    info["saved"] = "2000-01-01T00:00:00+00:00"
    sidecar_path(older).write_text(json.dumps(info))
    (tmp_path / "half.molstudio").write_bytes(b"no sidecar: a write that never finished")
    (tmp_path / "bad.molstudio").write_bytes(b"x")
    sidecar_path(tmp_path / "bad.molstudio").write_text("{not json")
    found = find_autosaves(tmp_path)
    assert [a.path.name for a in found] == ["b.molstudio", "a.molstudio"]
    assert found[0].info["source"] == "second.csv"
    remove_autosave(newer)
    assert not newer.exists() and not sidecar_path(newer).exists()
    assert [a.path for a in find_autosaves(tmp_path)] == [older]
    assert find_autosaves(tmp_path / "missing") == []
