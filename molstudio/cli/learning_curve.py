"""``molstudio-cli learning-curve``: train on growing parts of the training set: would more data help?"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from molstudio.cli.options import add_run_options, add_threads_option, positive_int, table_and_config
from molstudio.cli.progress import ProgressBar, follow
from molstudio.core.errors import MolStudioError
from molstudio.core.search import LearningCurve, learning_curve


def add_parser(sub: Any) -> None:
    lc = sub.add_parser("learning-curve", help="train on growing parts of the training set: would more data help?")
    add_run_options(lc)
    lc.add_argument("--fractions", default="0.1,0.2,0.4,0.7,1",
                    help="parts of the training set to train on, e.g. 0.1,0.25,0.5,1")
    lc.add_argument("--repeats", type=positive_int, default=1, help="runs per part, each with its own draw")
    lc.add_argument("--ensemble", type=positive_int,
                    help="networks per run (one by default, whatever the configuration says)")
    lc.add_argument("--out", help="write the points here (.csv, .tsv or .xlsx)")
    lc.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_option(lc)


def run(args: argparse.Namespace) -> int:
    loaded, config = table_and_config(args)
    fractions = _fractions(args.fractions)
    curve = follow(lambda cancel: learning_curve(config, loaded.frame, fractions, args.repeats, cancel, args.ensemble),
                   LearningCurve, ProgressBar(args.quiet))
    for line in [*curve.warnings, *curve.notes]:
        print(f"note: {line}", file=sys.stderr)
    label = curve.metric_label
    print(f"{'fraction':>9}{'repeat':>8}{'compounds':>11}{'val ' + label:>14}{'train ' + label:>14}{'seconds':>9}")
    for p in curve.points:
        print(f"{p.fraction:>9g}{p.repeat + 1:>8}{p.n_train:>11}{p.val_metric:>14.4f}{p.train_metric:>14.4f}"
              f"{p.seconds:>9.1f}")
    print(f"validation set: {curve.split_counts.get('val', 0)} compounds, the same for every run")
    print(curve.reading)
    if args.out:
        curve.write(args.out, forbid=args.data)
        print(f"points written to {args.out}")
    return 0


def _fractions(text: str) -> list[float]:
    try:
        return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise MolStudioError(f"Cannot read the training-set fractions '{text}'.",
                             hint="Write them as numbers above 0 and at most 1, e.g. 0.1,0.25,0.5,1.") from None
