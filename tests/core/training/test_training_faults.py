"""Faults during training: a loss that becomes not a number, exploding gradients, a GPU that
runs out of memory, Stop pressed at any moment. Each ends in a model or a clear message."""

import threading
import time

import numpy as np
import pytest
import torch
from factories import descriptor_table, logp_table

from molstudio.core.errors import MolStudioError
from molstudio.core.inputs.vector import VectorInputs
from molstudio.core.run.config import RunConfig
from molstudio.core.training import fitting
from molstudio.core.training.loop import after_out_of_memory, run_to_end, train
from molstudio.core.training.reports import EpochReport, FinishedReport, StageReport

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


def _config(**training):
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16, 16], "dropout": 0.0})
    cfg.training = {"epochs": 6, "patience": 0, "lr": 3e-3, "batch_size": 32, "device": "cpu", **training}
    return cfg


def _reports(cfg, frame, cancel=None):
    # estimate=False: the faults injected below would count the estimate's measuring steps too
    reports = list(train(cfg, frame, cancel, estimate=False))
    assert isinstance(reports[-1], FinishedReport)
    return reports, reports[-1]


# -- a loss that becomes not a number -------------------------------------------------------

def test_a_loss_that_breaks_down_mid_run_keeps_the_best_epoch_and_says_so(monkeypatch):
    frame = descriptor_table(100)
    broken = threading.Event()
    real_loss = fitting.masked_loss

    def loss(*args):
        value = real_loss(*args)
        return value * float("nan") if broken.is_set() else value

    monkeypatch.setattr(fitting, "masked_loss", loss)
    epochs, final = [], None
    for report in train(_config(epochs=20, lr=1e-2), frame):
        if isinstance(report, EpochReport):
            epochs.append(report)
            if report.epoch == 4:
                broken.set()  # the loss of epoch 5 becomes NaN
        final = report
    assert isinstance(final, FinishedReport) and final.model is not None
    assert final.stopped == "diverged" and final.epochs_run == 4 and [r.epoch for r in epochs] == [1, 2, 3, 4]
    best = final.best_epoch
    assert 1 <= best <= 4
    (warning,) = final.warnings
    assert warning.startswith("Training stopped at epoch 5: the training loss became not a number; "
                              f"the model from epoch {best} is kept.")
    assert "Lower the learning rate, or turn on 'Gradient clipping'" in warning
    # the kept model is the best epoch's network: the same validation predictions
    kept = final.model.predict_frame(frame.iloc[epochs[best - 1].val_rows])["y_predicted"].to_numpy()
    assert np.allclose(kept, epochs[best - 1].val_pred[:, 0], atol=1e-5)
    assert np.allclose(final.val_pred, epochs[best - 1].val_pred, atol=1e-5)


def test_a_loss_that_is_not_a_number_from_the_first_epoch_is_an_error(monkeypatch):
    monkeypatch.setattr(fitting, "masked_loss", lambda task, out, y, mask: out.float().sum() * float("nan"))
    with pytest.raises(MolStudioError, match="Training stopped at epoch 1: the training loss became not a number"):
        run_to_end(_config(), descriptor_table(60))


def test_exploding_gradients_name_the_clipping_setting_and_clipping_rescues_the_run():
    frame = descriptor_table(100)
    wild = dict(epochs=25, optimizer="sgd", lr=5.0, momentum=0.0, weight_decay=0.0, batch_size=16,
                lr_schedule="none")
    try:
        final = run_to_end(_config(**wild), frame)
        message = " ".join(final.warnings)
        assert final.stopped == "diverged"
    except MolStudioError as exc:
        message = str(exc)
    assert "not a number" in message and "against exploding gradients" in message
    assert "turn on 'Gradient clipping' in the training settings" in message  # named as the GUI shows it

    rescued = run_to_end(_config(**wild, grad_clip=0.2), frame)
    assert rescued.stopped == "completed" and rescued.epochs_run == 25
    assert not rescued.warnings
    assert all(np.isfinite(h["train_loss"]) and np.isfinite(h["val_loss"]) for h in rescued.history)
    assert np.isfinite(rescued.model.predict_frame(frame)["y_predicted"]).all()


def test_an_ensemble_member_that_breaks_down_keeps_its_best_epoch(monkeypatch):
    frame = descriptor_table(100)
    real_loss = fitting.masked_loss
    broken_batches = [0]

    def loss(*args):
        value = real_loss(*args)
        if broken_batches[0]:
            broken_batches[0] -= 1
            return value * float("nan")
        return value

    monkeypatch.setattr(fitting, "masked_loss", loss)
    final = None
    for report in train(_config(epochs=5, ensemble=3), frame):
        if isinstance(report, EpochReport) and (report.member, report.epoch) == (1, 2):
            broken_batches[0] = 3  # every batch of the next epoch (80 training rows, 32 a batch)
        final = report
    assert len(final.model.networks) == 3  # the broken network's best epoch is kept, the others go on
    assert [len(h) for h in final.member_histories] == [5, 2, 5]
    assert final.warnings[0].startswith("Network 2 of 3: training stopped at epoch 3")
    assert final.stopped == "diverged"
    assert np.isfinite(final.model.predict_frame(frame)["y_predicted"]).all()


# -- running out of GPU memory ------------------------------------------------------------

def _run_out_of_memory_above(monkeypatch, rows, error=torch.OutOfMemoryError):
    """Training batches larger than ``rows`` fail as a full GPU does (prediction is left alone)."""
    real_batch = VectorInputs.batch
    tried = []

    def batch(self, stored, idx, view):
        if torch.is_grad_enabled():
            tried.append(len(idx))
            if len(idx) > rows:
                raise error("CUDA out of memory. Tried to allocate 20.00 MiB")
        return real_batch(self, stored, idx, view)

    monkeypatch.setattr(VectorInputs, "batch", batch)
    return tried


def test_out_of_memory_retries_with_half_the_batch_and_says_so(monkeypatch):
    tried = _run_out_of_memory_above(monkeypatch, 10)
    frame = descriptor_table(100)
    reports, final = _reports(_config(epochs=4, batch_size=32), frame)
    notes = [r.stage for r in reports if isinstance(r, StageReport) and "memory" in r.stage]
    assert notes == ["The computer ran out of memory; retrying with batch size 16.",
                     "The computer ran out of memory; retrying with batch size 8."]
    assert final.warnings == notes
    assert final.stopped == "completed" and final.epochs_run == 4
    assert [r.epoch for r in reports if isinstance(r, EpochReport)] == [1, 2, 3, 4]  # one clean run
    assert max(tried[2:]) == 8 and final.model.info["batch_size"] == 8
    assert np.isfinite(final.model.predict_frame(frame)["y_predicted"]).all()


def test_a_runtime_error_saying_out_of_memory_is_retried_too(monkeypatch):
    _run_out_of_memory_above(monkeypatch, 20, RuntimeError)
    reports, final = _reports(_config(epochs=2, batch_size=32), descriptor_table(80))
    assert final.warnings == ["The computer ran out of memory; retrying with batch size 16."]
    assert final.model is not None and final.model.info["batch_size"] == 16


def test_out_of_memory_even_with_the_smallest_batch_is_explained(monkeypatch):
    _run_out_of_memory_above(monkeypatch, 1)
    with pytest.raises(MolStudioError, match="ran out of memory even with batch size 4") as info:
        run_to_end(_config(batch_size=32), descriptor_table(60))
    assert "fewer compounds or a smaller network" in str(info.value)


def test_an_ensemble_keeps_the_smaller_batch_for_its_later_networks(monkeypatch):
    tried = _run_out_of_memory_above(monkeypatch, 20)
    reports, final = _reports(_config(epochs=2, batch_size=64, ensemble=3), descriptor_table(100))
    assert sum("ran out of memory" in w for w in final.warnings) == 2  # 64 -> 32 -> 16, once
    assert len(final.model.networks) == 3 and max(tried[2:]) == 16


def test_a_gpu_that_runs_out_of_memory_halves_the_batch_then_gives_way_to_the_cpu():
    gpu = torch.device("cuda")
    assert after_out_of_memory(64, gpu, 64) == (32, gpu, "The GPU ran out of memory; retrying with batch size 32.")
    assert after_out_of_memory(8, gpu, 64)[:2] == (4, gpu)
    batch, device, note = after_out_of_memory(4, gpu, 64)
    assert (batch, device.type) == (64, "cpu")
    assert note == ("The GPU ran out of memory even with batch size 4; training continues on the CPU (slower) "
                    "with batch size 64.")
    with pytest.raises(MolStudioError, match="computer ran out of memory even with batch size 4"):
        after_out_of_memory(4, torch.device("cpu"), 64)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_real_gpu_run_moves_to_the_cpu_when_its_memory_runs_out(monkeypatch):
    real_batch = VectorInputs.batch

    def batch(self, stored, idx, view):
        if stored.is_cuda and torch.is_grad_enabled():
            raise torch.OutOfMemoryError("CUDA out of memory.")
        return real_batch(self, stored, idx, view)

    monkeypatch.setattr(VectorInputs, "batch", batch)
    frame = descriptor_table(100)
    reports, final = _reports(_config(epochs=2, batch_size=16, device="cuda", ensemble=2), frame)
    assert "training continues on the CPU" in final.warnings[-1]
    assert final.model.info["device"] == "cpu" and final.model.device.type == "cpu"
    assert np.isfinite(final.model.predict_frame(frame)["y_predicted"]).all()


# -- Stop at any moment -----------------------------------------------------------------------

def _cancel_at(cfg, frame, index):
    """Run, pressing Stop when report ``index`` arrives; (the report stopped at, the reports after, seconds)."""
    cancel = threading.Event()
    at, after, seconds = None, [], 0.0
    started = None
    for i, report in enumerate(train(cfg, frame, cancel)):
        if i == index:
            at, started = report, time.perf_counter()
            cancel.set()
        elif at is not None:
            after.append(report)
    if started is not None:
        seconds = time.perf_counter() - started
    return at, after, seconds


def test_stop_at_any_report_ends_promptly_with_a_model_or_a_clean_stop():
    frame = logp_table(40)
    cfg = _config(epochs=3, ensemble=2, batch_size=8)
    cfg.features = ["morgan_count"]
    seen = set()
    index = 0
    while True:
        at, after, seconds = _cancel_at(cfg, frame, index)
        if at is None or isinstance(at, FinishedReport):
            break
        kind = type(at).__name__ if not isinstance(at, EpochReport) else f"epoch {at.epoch} of network {at.member}"
        seen.add(kind)
        assert seconds < 3.0, f"Stop at {kind} took {seconds:.1f} s"
        assert [type(r) for r in after if not isinstance(r, StageReport)][-1:] == [FinishedReport], kind
        assert not any(isinstance(r, EpochReport) for r in after), kind  # Stop is answered within the epoch
        final = after[-1]
        the_end = isinstance(at, EpochReport) and (at.epoch, at.member + 1) == (at.epochs, at.members)
        assert final.stopped == ("completed" if the_end else "cancelled"), kind
        if isinstance(at, EpochReport):  # every finished epoch is kept: the networks up to this one
            assert len(final.model.networks) == at.member + 1
            assert np.isfinite(final.model.predict_frame(frame)["logp_predicted"]).all()
        else:
            assert final.model is None and final.epochs_run == 0
        index += 1
    assert {"StageReport", "epoch 1 of network 0", "epoch 3 of network 0", "epoch 1 of network 1"} <= seen


def test_stop_while_structures_are_read_is_answered_between_chunks(monkeypatch):
    from molstudio.core import chem
    from molstudio.core.run import prepare as dataset

    monkeypatch.setattr(dataset, "PARSE_CHUNK", 10)
    cancel = threading.Event()
    real_parse, chunks = chem.parse_structures, []

    def parse(values, **kwargs):  # Stop is pressed while the first chunk is being read
        chunks.append(len(values))
        cancel.set()
        return real_parse(values, **kwargs)

    monkeypatch.setattr(chem, "parse_structures", parse)
    cfg = _config(epochs=3)
    cfg.features = ["morgan_count"]
    reports = list(train(cfg, logp_table(60), cancel))
    assert chunks == [10]  # the other 50 structures were never parsed
    final = reports[-1]
    assert isinstance(final, FinishedReport) and final.stopped == "cancelled" and final.model is None
