"""``molstudio-cli predict``: predict a table of any size with a trained model."""

from __future__ import annotations

import argparse
from typing import Any

from molstudio.cli.options import add_threads_option
from molstudio.cli.progress import ProgressBar
from molstudio.core.trained import load_model, predict_file


def add_parser(sub: Any) -> None:
    pr = sub.add_parser("predict", help="predict a table with a trained model")
    pr.add_argument("model", help="a .molstudio file")
    pr.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    pr.add_argument("--out", required=True, help="PREDICTIONS.csv | .xlsx | .sdf | .tsv")
    pr.add_argument("--images", action="store_true", help="embed structure images in an XLSX output")
    pr.add_argument("--chunk-rows", type=int, default=20000, help="rows read at a time")
    pr.add_argument("--mc-dropout", action="store_true",
                    help="single network with dropout: predict 20 times with dropout on and report their spread "
                         "as <target>_uncertainty (and the interval calibrated for it)")
    add_threads_option(pr)


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    bar = ProgressBar()
    try:
        summary = predict_file(model, args.data, args.out, chunk_rows=args.chunk_rows, images=args.images,
                               progress=lambda n: bar.show(n, n, f"{n} compounds predicted"),
                               mc_dropout=args.mc_dropout)
    finally:
        bar.close()
    print(f"{summary.rows} rows predicted ({summary.flagged} flagged) in {summary.seconds:.1f} s "
          f"({summary.per_second:.0f} compounds/s); written to {args.out}")
    if model.domain is not None:
        print(f"{summary.outside} of {summary.rows - summary.flagged} predicted compounds are outside the model's "
              f"applicability domain (in_domain = False: nearest training compound less similar than "
              f"{model.domain.threshold:.2f})")
    return 0
