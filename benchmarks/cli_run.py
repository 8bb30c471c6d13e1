"""One ``molstudio-cli train`` run as a benchmark takes it: the JSON report and the wall seconds.

Shared by the benchmark scripts, which all measure the exact command a user types.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from molstudio.cli import main as cli_main


def train_report(data: Path, args: list[str], hide_stderr: bool = False,
                 out: Path | None = None) -> tuple[dict, float]:
    """Run ``molstudio-cli train DATA ARGS`` (the model written to ``out``, or to a temporary
    folder like the report).

    Standard output is always hidden; ``hide_stderr`` also hides warnings and notes.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = ["train", str(data), *args, "--quiet", "--out", str(out or Path(tmp) / "m.molstudio"),
                   "--report", str(report)]
        quiet_err = contextlib.redirect_stderr(io.StringIO()) if hide_stderr else contextlib.nullcontext()
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), quiet_err:
            code = cli_main(command)
        wall = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"molstudio-cli {' '.join(command)} failed with exit code {code}")
        return json.loads(report.read_text()), wall
