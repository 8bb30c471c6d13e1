"""``molstudio-cli``: the engine from a terminal, driven by arguments or a config file.

Every problem is reported as one clear line and a non-zero exit status; set
``MOLSTUDIO_DEBUG=1`` to see the Python traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
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


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The data and model options of every command that trains (train, learning-curve)."""
    parser.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    parser.add_argument("--config", help="run configuration (TOML), as exported by the app")
    parser.add_argument("--sheet", help="XLSX sheet name or number (first by default)")
    parser.add_argument("--smiles-column", help="column holding the structures")
    parser.add_argument("--target", nargs="+", action="extend", help="column(s) to predict")
    parser.add_argument("--task", choices=["auto", "regression", "classification"])
    parser.add_argument("--descriptor-columns", help="comma-separated numeric columns to use as features")
    parser.add_argument("--features", help="e.g. morgan_count,rdkit2d or 'morgan_bits(radius=3,size=1024)'")
    parser.add_argument("--standardize", action="store_true", help="standardize structures (salts, charges)")
    parser.add_argument("--model", help="architecture (see 'molstudio-cli models'); without --model and --features, the recommended model for the table")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="any hyperparameter or training setting, e.g. hidden_sizes=16,16 lr=0.01")
    parser.add_argument("--split", help="random | scaffold | stratified | column:NAME")
    parser.add_argument("--split-sizes", help="train,val,test fractions, e.g. 0.8,0.1,0.1 or 0.8,0,0.2")
    parser.add_argument("--seed", type=int, help="seed for the split and the weights")
    parser.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molstudio-cli", description="Train and use MolStudio models from a terminal.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on a compound table")
    _add_run_options(t)
    t.add_argument("--out", required=True, help="where to write the model (.molstudio)")
    t.add_argument("--report", help="write the run's figures as JSON here")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    lc = sub.add_parser("learning-curve", help="train on growing parts of the training set: would more data help?")
    _add_run_options(lc)
    lc.add_argument("--fractions", default="0.1,0.2,0.4,0.7,1",
                    help="parts of the training set to train on, e.g. 0.1,0.25,0.5,1")
    lc.add_argument("--repeats", type=_positive_int, default=1, help="runs per part, each with its own draw")
    lc.add_argument("--ensemble", type=_positive_int,
                    help="networks per run (one by default, whatever the configuration says)")
    lc.add_argument("--out", help="write the points here (.csv, .tsv or .xlsx)")
    lc.add_argument("--quiet", action="store_true", help="no progress bar")
    lc.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    tu = sub.add_parser("tune", help="search hyperparameters on the validation set (resumable, shareable)")
    _add_run_options(tu)
    tu.add_argument("--trials", type=_positive_int, help="trials to run in this call (20 without --timeout)")
    tu.add_argument("--timeout", type=float, help="start no new trial after this many seconds")
    tu.add_argument("--storage", help="where the search is kept: an SQLite file (default: DATA.search.db next "
                    "to the data) or any Optuna URL, e.g. postgresql://user@host/db for several workers")
    tu.add_argument("--study", help="the search's name in the storage (default: the data file's name and the model)")
    tu.add_argument("--pruner", choices=["median", "hyperband"], default="median",
                    help="how hopeless trials are stopped early")
    tu.add_argument("--search", action="append", default=[], metavar="NAME=LOW..HIGH",
                    help="narrow, widen or fix a searched setting: lr=1e-4..1e-2, activation=relu,gelu, dropout=0.1")
    tu.add_argument("--folds", type=int, default=0, metavar="K",
                    help="score each trial by K-fold cross-validation over the training and validation compounds "
                         "(K times slower; steadier than one small validation set). Default: the validation set")
    tu.add_argument("--out", help="write the best settings as a run configuration (TOML) for 'train --config'")
    tu.add_argument("--quiet", action="store_true", help="only the result")
    tu.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    pr = sub.add_parser("predict", help="predict a table with a trained model")
    pr.add_argument("model", help="a .molstudio file")
    pr.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    pr.add_argument("--out", required=True, help="PREDICTIONS.csv | .xlsx | .sdf | .tsv")
    pr.add_argument("--images", action="store_true", help="embed structure images in an XLSX output")
    pr.add_argument("--chunk-rows", type=int, default=20000, help="rows read at a time")
    pr.add_argument("--mc-dropout", action="store_true",
                    help="single network with dropout: predict 20 times with dropout on and report their spread "
                         "as <target>_uncertainty (and the interval calibrated for it)")
    pr.add_argument("--threads", type=_positive_int, help="CPU threads for PyTorch (all cores by default)")

    ex = sub.add_parser("explain", help="draw which atoms drive each compound's prediction")
    ex.add_argument("model", help="a .molstudio file")
    ex.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file of the compounds to explain")
    ex.add_argument("--out", required=True, help="folder for the pictures and atom_contributions.csv")
    rows = ex.add_mutually_exclusive_group()
    rows.add_argument("--rows", help="rows to explain, as numbered in the file (first data row = 1), e.g. 1,5,9")
    rows.add_argument("--first", type=_positive_int, default=10, help="explain the first N rows (10 by default)")
    ex.add_argument("--format", choices=["svg", "png"], default="svg", help="picture format")
    ex.add_argument("--target", help="the target to explain (the model's first by default)")

    im = sub.add_parser("importance", help="which features a descriptor or fingerprint model relies on")
    im.add_argument("model", help="a .molstudio file")
    im.add_argument("data", help="a table of compounds with measured values (e.g. your test compounds)")
    im.add_argument("--target", help="the target to score (the model's first by default)")
    im.add_argument("--repeats", type=_positive_int, default=5, help="shuffles per feature")
    im.add_argument("--top", type=_positive_int, default=20, help="features printed")
    im.add_argument("--out", help="write every feature's importance here (.csv, .tsv or .xlsx)")

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
