"""``molstudio-cli importance``: which features a descriptor or fingerprint model relies on."""

from __future__ import annotations

import argparse
from typing import Any

from molstudio.cli.options import positive_int
from molstudio.cli.progress import ProgressBar, follow
from molstudio.core.explain import FeatureImportance, permutation_importance_steps
from molstudio.core.tables import read_table, write_table
from molstudio.core.trained import load_model


def add_parser(sub: Any) -> None:
    im = sub.add_parser("importance", help="which features a descriptor or fingerprint model relies on")
    im.add_argument("model", help="a .molstudio file")
    im.add_argument("data", help="a table of compounds with measured values (e.g. your test compounds)")
    im.add_argument("--target", help="the target to score (the model's first by default)")
    im.add_argument("--repeats", type=positive_int, default=5, help="shuffles per feature")
    im.add_argument("--top", type=positive_int, default=20, help="features printed")
    im.add_argument("--out", help="write every feature's importance here (.csv, .tsv or .xlsx)")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    frame = read_table(args.data).frame
    result = follow(lambda cancel: permutation_importance_steps(model, frame, args.target, args.repeats,
                                                                cancel=cancel), FeatureImportance, ProgressBar())
    table = result.table
    print(f"{result.compounds} compounds; importance = {result.metric} when the feature is shuffled "
          f"(baseline {result.baseline:.4g}), mean and spread over {args.repeats} shuffles")
    width = max([7] + [len(f) for f in table["feature"].head(args.top)])
    print(f"{'feature':<{width}}  {'importance':>10}  {'spread':>8}  example")
    for item in table.head(args.top).itertuples():
        print(f"{item.feature:<{width}}  {item.importance_mean:>10.4g}  {item.importance_std:>8.3g}  {item.example}")
    if args.out:
        write_table(table, args.out, forbid=args.data)
        print(f"every feature's importance written to {args.out}")
    return 0
