"""What a long command shows while it works: a progress bar, and the one loop that follows a
core generator's reports and stops it cleanly on Ctrl+C."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from molstudio.core.training.reports import StageReport

T = TypeVar("T")


class ProgressBar:
    """A one-line terminal progress bar (plain lines, at most every 2 s, when not on a terminal)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last_line = 0.0

    def show(self, done: int, total: int, text: str) -> None:
        if self.quiet:
            return
        width = 28
        frac = done / total if total else 0.0
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        line = f"[{bar}] {text}"
        if self.tty:
            sys.stderr.write("\r" + line[:120].ljust(120))
            sys.stderr.flush()
        elif time.monotonic() - self._last_line > 2.0 or done == total:
            print(line, file=sys.stderr)
            self._last_line = time.monotonic()

    def note(self, text: str) -> None:
        """A line of its own above the bar (nothing when quiet)."""
        if self.quiet:
            return
        if self.tty:
            sys.stderr.write("\r" + " " * 120 + "\r")
        print(text, file=sys.stderr)

    def close(self) -> None:
        if not self.quiet and self.tty:
            sys.stderr.write("\n")


def follow(start: Callable[[threading.Event], Iterable[Any]], result: type[T], bar: ProgressBar,
           on_report: Callable[[Any], None] | None = None) -> T:
    """Run the core generator ``start(cancel)`` to its end and return its last ``result`` report.

    Stage reports move ``bar``; every other report goes to ``on_report``. Ctrl+C sets
    ``cancel`` (the generator winds down) and is raised on, so the command exits 130.
    """
    cancel = threading.Event()
    final: T | None = None
    try:
        for report in start(cancel):
            if isinstance(report, result):
                final = report
            if isinstance(report, StageReport):
                bar.show(report.done, report.total or 1, report.stage)
            elif on_report is not None:
                on_report(report)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    if final is None:
        raise RuntimeError(f"the work ended without its {result.__name__}")
    return final
