"""``molstudio-cli train``: train a model on a compound table and save it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from molstudio.cli.options import add_run_options, add_threads_option, choices_of, table_and_config
from molstudio.cli.printing import plain, print_metrics
from molstudio.cli.progress import ProgressBar, follow
from molstudio.core.atomic import atomic_write_bytes
from molstudio.core.trained import save_model
from molstudio.core.training import EpochReport, EstimateReport, FinishedReport, train


def add_parser(sub: Any) -> None:
    t = sub.add_parser("train", help="train a model on a compound table")
    add_run_options(t)
    t.add_argument("--out", required=True, help="where to write the model (.molstudio)")
    t.add_argument("--report", help="write the run's figures as JSON here")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_option(t)


def run(args: argparse.Namespace) -> int:
    loaded, config = table_and_config(args)
    if choices_of(args).uses_recommendation and not args.quiet:
        print(f"Using the recommended model: {config.model} on {', '.join(map(str, config.features))}, "
              f"ensemble of {config.resolved_training()['ensemble']} (choose another with --model and "
              "--features).", file=sys.stderr)
    bar = ProgressBar(args.quiet)

    def epoch(report: Any) -> None:
        if isinstance(report, EstimateReport):
            bar.note(f"Estimated time: {report.text()}")
        elif isinstance(report, EpochReport):
            val = f"  val {report.val_loss:.4f}" if report.val_loss is not None else ""
            member = f"network {report.member + 1}/{report.members}  " if report.members > 1 else ""
            bar.show(report.epoch, report.epochs,
                     f"{member}epoch {report.epoch}/{report.epochs}  train {report.train_loss:.4f}{val}")

    final = follow(lambda cancel: train(config, loaded.frame, cancel), FinishedReport, bar, epoch)
    assert final.model is not None
    for warning in final.warnings:  # rows left out are one of them, said once
        print(f"warning: {warning}", file=sys.stderr)
    save_model(final.model, args.out)
    if args.report:
        atomic_write_bytes(Path(args.report), json.dumps(final.summary(), indent=2, default=plain).encode())
    print_metrics(final.metrics, final.model.task)
    estimated = f" (estimated {final.estimated_seconds:.1f} s)" if final.estimated_seconds is not None else ""
    print(f"epochs: {final.epochs_run} (best {final.best_epoch}, {final.stopped}); "
          f"featurize {final.seconds['featurize']:.1f} s, train {final.seconds['train']:.1f} s, "
          f"total {final.seconds['total']:.1f} s{estimated}")
    print(f"model written to {args.out}")
    return 0
