"""How fast a 50,000-row file shows in the window, and how smoothly it scrolls.

Makes a large CSV by repeating a given one (Tox21 by default), opens it in the main
window exactly as a dropped file is opened, and prints:

- first rows: from the open until the table has painted its first rows (target < 2 s);
- whole table: until every row is read, with the load report;
- structures checked: until every SMILES was parsed for the problem list;
- scrolling: the time of each event-loop pass while paging through the table during
  the background work (a pass paints the screen and draws a slice of depictions).

    python benchmarks/gui_load_benchmark.py [CSV] [--rows 50000]

The figures are wall-clock times on this machine; they are figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "tox21.csv"


def make_big_csv(source: Path, rows: int, folder: Path) -> Path:
    """``source``'s data rows repeated until there are ``rows`` of them."""
    header, *body = source.read_text(encoding="utf-8").splitlines()
    lines = (body * (rows // len(body) + 1))[:rows]
    out = folder / f"{source.stem}_{rows}.csv"
    out.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return out


def wait(app, condition, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter()


def summary(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    at = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return f"{len(ms)} passes, median {at(0.5):.0f} ms, 95th percentile {at(0.95):.0f} ms, worst {ms[-1]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--rows", type=int, default=50000)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings

    from molstudio.gui.app import application

    app = application()
    folder = Path(tempfile.mkdtemp(prefix="molstudio-bench-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    from molstudio.gui.window.main_window import MainWindow

    big = make_big_csv(args.csv, args.rows, folder)
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    wait(app, lambda: window.isVisible())
    app.processEvents()

    start = time.perf_counter()
    (tab,) = window.open_paths([big])
    in_model = wait(app, lambda: tab.model.rowCount() > 0) - start
    tab.table.viewport().repaint()  # the first rows are on screen once this paint returns
    first = time.perf_counter() - start

    # page through the table while the rest is read and checked in the background; each
    # step is one scroll plus one pass of the event loop (painting, a slice of depictions)
    bar = tab.table.verticalScrollBar()
    steps, loaded, checked = [], None, None
    position = 0
    while checked is None or len(steps) < 300:
        t0 = time.perf_counter()
        position = (position + tab.table.viewport().height()) % max(1, bar.maximum())
        bar.setValue(position)
        app.processEvents()
        steps.append(time.perf_counter() - t0)
        now = time.perf_counter() - start
        if loaded is None and tab.is_loaded:
            loaded = now
        if checked is None and tab.is_loaded and not tab.jobs.busy():
            checked = now
        if now > 300:
            raise SystemExit("timed out")
    idle = []
    for _ in range(200):  # the same once the background work is over
        t0 = time.perf_counter()
        position = (position + tab.table.viewport().height()) % max(1, bar.maximum())
        bar.setValue(position)
        app.processEvents()
        idle.append(time.perf_counter() - t0)
    print(f"file: {big.name}, {tab.model.rowCount():,} rows, {len(tab.frame.columns)} columns")
    print(f"first rows shown:    {first:6.2f} s   (rows in the model after {in_model:.2f} s)")
    print(f"whole table read:    {loaded:6.2f} s")
    print(f"structures checked:  {checked:6.2f} s   ({tab.roles_panel.problems.count()} problem rows listed)")
    for label, passes in (("during the background work", steps), ("afterwards", idle)):
        print(f"scrolling a page per event-loop pass, {label}: {summary(passes)}")
    print(f"{tab.depictions.rendered} depictions drawn, {len(tab.depictions)} kept in the cache")
    window.close()


if __name__ == "__main__":
    main()
