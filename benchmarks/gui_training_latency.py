"""How late the GUI event loop runs while the training view trains on ESOL.

Opens the training view (offscreen unless a display platform is set), loads the
table, keeps what the panel preselects for it (the recommended configuration) unless
``--model`` names an architecture, and trains while a 20 ms timer measures how late each of its ticks fires.
Then a second run is stopped after a few epochs, to time how fast Stop answers.

    python benchmarks/gui_training_latency.py [../shared/data/esol.csv] [--epochs N] [--model mlp]

(from the repository root, with this checkout importable, e.g. ``PYTHONPATH=.``)

Target (issue 3): 99th percentile of the lateness under 100 ms.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

import molstudio.gui.qt_compat  # noqa: F401  (before any Qt call)
from molstudio.core.tables.columns import detect_roles
from molstudio.core.tables.reading import read_table

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "esol.csv"
INTERVAL_MS = 20


class LatenessProbe:
    """A timer that should fire every ``interval`` ms; records how late each tick is."""

    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.samples: list[tuple[float, str]] = []
        self.phase = "features"
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append((max(0.0, now - self._last - self.interval), self.phase))
        self._last = now

    def summary(self, phase: str | None = None) -> str:
        values = np.array([v for v, p in self.samples if phase is None or p == phase]) * 1000
        if values.size == 0:
            return "no ticks"
        p50, p90, p99 = np.percentile(values, [50, 90, 99])
        return (f"p50 {p50:6.1f} ms · p90 {p90:6.1f} ms · p99 {p99:6.1f} ms · max {values.max():6.1f} ms "
                f"({values.size:,} ticks)")


def wait(app: QApplication, condition, seconds: float) -> bool:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if condition():
            return True
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.001)
    return condition()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default=str(DEFAULT_DATA), help="table to train on (default: ESOL)")
    parser.add_argument("--model", default="", help="architecture (default: what the panel preselects)")
    parser.add_argument("--epochs", type=int, default=0, help="maximum epochs (default: the engine's)")
    parser.add_argument("--stop-after", type=int, default=5, help="epochs before Stop in the second run")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    settings_dir = tempfile.TemporaryDirectory()
    QCoreApplication.setOrganizationName("MolStudioBenchmark")
    QCoreApplication.setApplicationName("gui-training-latency")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir.name)

    from molstudio.gui.training.view import TrainingView

    frame = read_table(args.path).frame
    view = TrainingView()
    view.resize(1500, 950)
    view.show()
    view.set_table(frame, detect_roles(frame), Path(args.path))
    if args.model:
        view.panel.set_architecture(args.model)
    if args.epochs:
        view.panel.training.set_values({"epochs": args.epochs})
    cfg = view.panel.config()
    print(f"{Path(args.path).name}: {len(frame):,} rows; features {', '.join(cfg.features)}; "
          f"{cfg.model} ×{cfg.resolved_training()['ensemble']}; up to {cfg.resolved_training()['epochs']} epochs; "
          f"platform {app.platformName()}")

    probe = LatenessProbe()
    view.loss_plot.plot.getPlotItem()  # created; the first epoch switches the probe's phase
    started = time.perf_counter()
    probe.start()
    view.train()
    wait(app, lambda: view.loss_plot.epoch_count() > 0 or not view.is_busy(), 600)
    probe.phase = "epochs"
    wait(app, lambda: not view.is_busy(), 3600)
    probe.stop()
    wall = time.perf_counter() - started
    record = view.history.records[-1] if view.history.records else None
    print(f"\nTraining run: {wall:.1f} s wall; {view.progress.format()}")
    if record is not None:
        print(f"  test RMSE {record.metrics['test'].get('rmse', float('nan')):.3f}, "
              f"R² {record.metrics['test'].get('r2', float('nan')):.3f}")
    print("GUI lateness of a 20 ms timer")
    print(f"  computing features : {probe.summary('features')}")
    print(f"  training epochs    : {probe.summary('epochs')}")
    print(f"  whole run          : {probe.summary()}")

    view.train()
    wait(app, lambda: view.loss_plot.epoch_count() >= args.stop_after or not view.is_busy(), 600)
    pressed = time.perf_counter()
    view.stop()
    wait(app, lambda: not view.is_busy(), 60)
    answered = time.perf_counter() - pressed
    print(f"\nStop after {view.loss_plot.epoch_count()} epochs: training ended {answered * 1000:.0f} ms after Stop; "
          f"model kept: {view.model is not None} ({view.progress.format()})")
    view.shutdown()
    view.close()
    settings_dir.cleanup()


if __name__ == "__main__":
    main()
