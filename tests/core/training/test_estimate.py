"""The estimate of a run's time: its arithmetic, its measurement, and where a run reports it."""

import pytest
import torch
from factories import descriptor_table, logp_table

from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig
from molstudio.core.training import EpochReport, EstimateReport, FinishedReport, train
from molstudio.core.training.estimate import batches_per_epoch, combine, estimate_run, expected_epochs
from molstudio.core.training.reports import duration_text


def settings(**values):
    return TRAINING_SCHEMA.resolve(values)


def test_the_estimate_grows_with_compounds_epochs_and_networks():
    def seconds(n_train=800, epochs=20, ensemble=1):
        tr = settings(epochs=epochs, ensemble=ensemble, patience=0, batch_size=32)
        return combine(1.0, 0.01, 1e-4, n_train, n_train // 8, n_train * 5 // 4, tr).seconds

    base = seconds()
    assert base > 0
    assert seconds(n_train=8000) > 5 * base
    assert seconds(epochs=40) > 1.8 * base
    assert seconds(ensemble=5) > 4 * base


def test_early_stopping_counts_a_third_of_the_epochs_plus_the_patience():
    assert expected_epochs(settings(epochs=25, patience=30), True) == 25  # patience >= epochs: all of them
    assert expected_epochs(settings(epochs=150, patience=0), True) == 150
    assert expected_epochs(settings(epochs=150, patience=30), False) == 150  # no validation set: no early stop
    assert expected_epochs(settings(epochs=150, patience=30), True) == 80
    assert expected_epochs(settings(epochs=40, patience=30), True) == 40
    assert batches_per_epoch(100, 32) == 4 and batches_per_epoch(97, 32) == 3  # a last batch of one is skipped


def test_the_text_says_the_time_and_what_it_counts_on():
    report = EstimateReport(seconds=370, networks=5, epochs=25, max_epochs=25)
    assert report.text() == "about 6 minutes (5 networks × 25 epochs)"
    single = EstimateReport(seconds=70, networks=1, epochs=80, max_epochs=150)
    assert single.text() == "about 1 minute (1 network × about 80 of up to 150 epochs)"
    assert duration_text(4) == "a few seconds" and duration_text(38) == "about 40 seconds"
    assert duration_text(4800) == "about 1 hour 20 minutes" and duration_text(7200) == "about 2 hours"


def test_a_run_reports_its_estimate_before_the_first_epoch_and_in_its_figures():
    cfg = RunConfig(model="mlp", features=["morgan_count(size=256)"], targets=["logp"],
                    hparams={"hidden_sizes": [16]}, training={"epochs": 4, "patience": 0, "device": "cpu"})
    reports = list(train(cfg, logp_table(), autosave=None))
    kinds = [type(r) for r in reports]
    assert kinds.count(EstimateReport) == 1
    assert kinds.index(EstimateReport) < kinds.index(EpochReport)
    estimate = reports[kinds.index(EstimateReport)]
    assert estimate.seconds > 0 and estimate.networks == 1 and estimate.epochs == 4
    assert estimate.parts["featurize"] > 0 and estimate.parts["train"] > 0
    final = reports[-1]
    assert isinstance(final, FinishedReport)
    figures = final.summary()
    assert figures["estimated_seconds"] == pytest.approx(estimate.seconds)
    assert list(figures).index("estimated_seconds") == list(figures).index("seconds") + 1
    # a search's trials do without it
    final = list(train(cfg, logp_table(), autosave=None, estimate=False))[-1]
    assert final.estimated_seconds is None and final.model is not None


def test_before_a_run_a_sample_is_measured_and_scaled_to_the_table():
    frame = descriptor_table(400)
    short = RunConfig(model="mlp", targets=["y"], training={"epochs": 2, "patience": 0, "device": "cpu"})
    long = RunConfig(model="mlp", targets=["y"], training={"epochs": 200, "patience": 0, "ensemble": 3,
                                                          "device": "cpu"})
    a, b = estimate_run(short, frame), estimate_run(long, frame)
    assert a.seconds > 0 and (a.networks, a.epochs) == (1, 2) and (b.networks, b.epochs) == (3, 200)
    assert b.parts["train"] > 30 * a.parts["train"]  # 300 times the epochs; measurements vary a little
    structures = estimate_run(RunConfig(model="dmpnn", features=["none"], targets=["logp"],
                                        training={"epochs": 2, "device": "cpu"}), logp_table(), sample=16)
    assert structures.seconds > 0 and structures.parts["finish"] > 0  # the domain is part of the end


def test_a_measurement_that_runs_out_of_memory_leaves_the_run_to_retry(monkeypatch):
    from molstudio.core.inputs.vector import VectorInputs

    real_batch = VectorInputs.batch

    def batch(self, stored, idx, view):
        if torch.is_grad_enabled() and len(idx) > 10:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB")
        return real_batch(self, stored, idx, view)

    monkeypatch.setattr(VectorInputs, "batch", batch)
    cfg = RunConfig(model="mlp", targets=["y"], training={"epochs": 2, "patience": 0, "batch_size": 32})
    reports = list(train(cfg, descriptor_table(100), autosave=None))
    assert not any(isinstance(r, EstimateReport) for r in reports)  # no estimate rather than a wrong one
    final = reports[-1]
    assert final.estimated_seconds is None and final.model is not None and final.model.info["batch_size"] == 8
