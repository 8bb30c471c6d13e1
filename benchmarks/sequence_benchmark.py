"""Test RMSE and seconds of the SMILES sequence models (and the linear baseline) on ESOL.

Each model trains with its defaults on the predefined split of the file (a ``split``
column holding train/val/test), once per weight seed.

    python benchmarks/sequence_benchmark.py --data ../shared/data/esol_split.csv [--seeds 0,1] [--threads 2]

Seconds are wall-clock for the whole run (tokenizing, training, predicting); on a shared
machine they vary with its load.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.training.loop import run_to_end

SEQUENCE_MODELS = ("smiles_rnn", "smiles_cnn", "smiles_transformer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CSV with smiles, the target and a split column")
    parser.add_argument("--target", default="log_solubility")
    parser.add_argument("--split-column", default="split")
    parser.add_argument("--models", default=",".join(("linear",) + SEQUENCE_MODELS),
                        help="comma-separated architectures (linear on its default features is the baseline)")
    parser.add_argument("--seeds", default="0", help="comma-separated weight seeds")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frame = pd.read_csv(Path(args.data))
    seeds = [int(s) for s in args.seeds.split(",")]

    print(f"{Path(args.data).name}: {len(frame)} rows, target {args.target}, split column {args.split_column}, "
          f"{args.threads} thread(s)")
    print(f"{'model':<20} {'seed':>4} {'test RMSE':>10} {'val RMSE':>9} {'epochs':>7} {'best':>5} {'seconds':>8}")
    for model in args.models.split(","):
        rmses, walls = [], []
        for seed in seeds:
            cfg = RunConfig(model=model, targets=[args.target],
                            split=SplitConfig(method="column", column=args.split_column))
            cfg.set("seed", seed)
            start = time.perf_counter()
            final = run_to_end(cfg, frame)
            wall = time.perf_counter() - start
            test, val = final.metrics["test"]["rmse"], final.metrics["val"]["rmse"]
            rmses.append(test)
            walls.append(wall)
            print(f"{model:<20} {seed:>4} {test:>10.4f} {val:>9.4f} {final.epochs_run:>7} {final.best_epoch:>5} "
                  f"{wall:>8.1f}", flush=True)
        if len(seeds) > 1:
            print(f"{model:<20} {'mean':>4} {np.mean(rmses):>10.4f} {'':>9} {'':>7} {'':>5} {np.mean(walls):>8.1f}")


if __name__ == "__main__":
    main()
