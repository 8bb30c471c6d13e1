"""``molstudio-cli``: the engine from a terminal, driven by arguments or a config file.

Every problem is reported as one clear line and a non-zero exit status; set
``MOLSTUDIO_DEBUG=1`` to see the Python traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Sequence

from molstudio.core.errors import MolStudioError

EXIT_ERROR = 2
EXIT_INTERNAL = 3


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molstudio-cli", description="Train and use MolStudio models from a terminal.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on a compound table")
    t.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    t.add_argument("--config", help="run configuration (TOML), as exported by the app")
    t.add_argument("--sheet", help="XLSX sheet name or number (first by default)")
    t.add_argument("--smiles-column", help="column holding the structures")
    t.add_argument("--target", nargs="+", action="extend", help="column(s) to predict")
    t.add_argument("--task", choices=["auto", "regression", "classification"])
    t.add_argument("--descriptor-columns", help="comma-separated numeric columns to use as features")
    t.add_argument("--features", help="e.g. morgan_count,rdkit2d or 'morgan_bits(radius=3,size=1024)'")
    t.add_argument("--standardize", action="store_true", help="standardize structures (salts, charges)")
    t.add_argument("--model", help="architecture (see 'molstudio-cli models'); without --model and --features, the recommended model for the table")
    t.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="any hyperparameter or training setting, e.g. hidden_sizes=16,16 lr=0.01")
    t.add_argument("--split", help="random | scaffold | stratified | column:NAME")
    t.add_argument("--split-sizes", help="train,val,test fractions, e.g. 0.8,0.1,0.1 or 0.8,0,0.2")
    t.add_argument("--seed", type=int, help="seed for the split and the weights")
    t.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")
    t.add_argument("--out", required=True, help="where to write the model (.molstudio)")
    t.add_argument("--report", help="write the run's figures as JSON here")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    pr = sub.add_parser("predict", help="predict a table with a trained model")
    pr.add_argument("model", help="a .molstudio file")
    pr.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    pr.add_argument("--out", required=True, help="PREDICTIONS.csv | .xlsx | .sdf | .tsv")
    pr.add_argument("--images", action="store_true", help="embed structure images in an XLSX output")
    pr.add_argument("--chunk-rows", type=int, default=20000, help="rows read at a time")
    pr.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    i = sub.add_parser("info", help="describe a trained model file")
    i.add_argument("model")
    i.add_argument("--json", action="store_true", help="print the whole manifest as JSON")

    m = sub.add_parser("models", help="list the architectures and their hyperparameters")
    m.add_argument("--json", action="store_true")

    e = sub.add_parser("example", help="write a built-in example dataset to a file")
    e.add_argument("name", help="tutorial | chembl_binding")
    e.add_argument("--out", required=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from molstudio.cli_commands import COMMANDS

        if getattr(args, "threads", None):
            import torch

            torch.set_num_threads(args.threads)
        return COMMANDS[args.command](args)
    except MolStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: one line, not a traceback, unless debugging
        if os.environ.get("MOLSTUDIO_DEBUG"):
            raise
        print(f"internal error ({type(exc).__name__}): {exc}. Set MOLSTUDIO_DEBUG=1 for details.",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
