"""``molstudio-cli tune``: search hyperparameters (Optuna), resumable and shareable between workers."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from molstudio.cli.options import add_run_options, add_threads_option, positive_int, table_and_config
from molstudio.cli.printing import setting_text
from molstudio.cli.progress import ProgressBar, follow
from molstudio.core.errors import MolStudioError
from molstudio.core.run import save_config
from molstudio.core.run.choices import default_study_name
from molstudio.core.search import SearchFinished, TrialReport, best_config, default_storage, parse_override, tune
from molstudio.core.training import EpochReport


def add_parser(sub: Any) -> None:
    tu = sub.add_parser("tune", help="search hyperparameters on the validation set (resumable, shareable)")
    add_run_options(tu)
    tu.add_argument("--trials", type=positive_int, help="trials to run in this call (20 without --timeout)")
    tu.add_argument("--timeout", type=float, help="start no new trial after this many seconds")
    tu.add_argument("--storage", help="where the search is kept: an SQLite file (default: DATA.search.db next "
                    "to the data) or any Optuna URL, e.g. postgresql://user@host/db for several workers")
    tu.add_argument("--study", help="the search's name in the storage (default: the data file's name and the "
                    "model, and -cvK with --folds K; the app uses the same name)")
    tu.add_argument("--pruner", choices=["median", "hyperband"], default="median",
                    help="how hopeless trials are stopped early")
    tu.add_argument("--search", action="append", default=[], metavar="NAME=LOW..HIGH",
                    help="narrow, widen or fix a searched setting: lr=1e-4..1e-2, activation=relu,gelu, dropout=0.1")
    tu.add_argument("--folds", type=int, default=0, metavar="K",
                    help="score each trial by K-fold cross-validation over the training and validation compounds "
                         "(K times slower; steadier than one small validation set). Default: the validation set")
    tu.add_argument("--out", help="write the best settings as a run configuration (TOML) for 'train --config'")
    tu.add_argument("--quiet", action="store_true", help="only the result")
    add_threads_option(tu)


def run(args: argparse.Namespace) -> int:
    loaded, config = table_and_config(args)
    overrides = dict(parse_override(text) for text in args.search)
    storage = args.storage or default_storage(args.data)
    study = args.study or default_study_name(config, args.data, args.folds)
    trials = args.trials if args.trials or args.timeout else 20
    scored = f"{args.folds}-fold cv" if args.folds else "val"
    if not args.quiet:
        print(f"search '{study}' in {storage}", file=sys.stderr)
    bar = ProgressBar(args.quiet)

    def show(report: Any) -> None:
        if isinstance(report, EpochReport):
            bar.show(report.epoch, report.epochs, f"epoch {report.epoch}/{report.epochs}")
        elif isinstance(report, TrialReport):
            bar.close()
            if not args.quiet:
                print(trial_line(report, scored))

    end = follow(lambda cancel: tune(config, loaded.frame, trials, args.timeout, storage, study, cancel, args.pruner,
                                     overrides, folds=args.folds), SearchFinished, bar, show)
    if end.best_number is None:
        raise MolStudioError(f"No trial of the search '{study}' has finished yet, so there is no best setting.",
                             hint="Give the search more trials or more time.")
    settings = "  ".join(f"{k}={setting_text(v)}" for k, v in end.best_params.items())
    scored_by = f"{args.folds}-fold cross-validation" if args.folds else "val"
    print(f"{end.trials_run} trial(s) run ({end.stopped}); best: trial {end.best_number}, "
          f"{scored_by} {end.metric} {end.best_value:.4f}")
    print(f"best settings: {settings}")
    if args.out:
        save_config(best_config(storage, study), args.out)
        print(f"best run configuration written to {args.out} (train it with: molstudio-cli train DATA "
              f"--config {args.out} --out MODEL.molstudio)")
    return 0


def trial_line(report: TrialReport, scored: str = "val") -> str:
    """One finished trial: its score, how it ended, the best so far and its settings."""
    value = "" if report.value is None else f"{scored} {report.metric} {report.value:.4f}"
    state = {"complete": "", "pruned": f" (stopped early at epoch {report.epochs})",
             "failed": f"failed: {report.message}"}[report.state]
    best = (f"best {report.best_value:.4f} (trial {report.best_number})" if report.best_number is not None
            else "no best yet")
    settings = " ".join(f"{k}={setting_text(v)}" for k, v in report.params.items())
    return f"trial {report.number}: {value}{state}  [{best}, {report.seconds:.1f} s]  {settings}"
