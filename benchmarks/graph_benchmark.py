"""Graph networks with their default settings on ESOL's predefined split (issue 4).

Runs the exact ``molstudio-cli train`` command once per weight seed and prints the test
RMSE and the seconds (whole command, and training alone). Wall-clock figures depend on
what else the machine runs; RMSE does not.

    python benchmarks/graph_benchmark.py --data ../shared/data/esol_split.csv [--models dmpnn,gnn,linear]
        [--seeds 0,1,2] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
from cli_run import train_report


def train(data: Path, model: str, seed: int) -> tuple[dict, float]:
    """One ``molstudio-cli train`` run; its report and its wall-clock seconds."""
    return train_report(data, ["--target", "log_solubility", "--split", "column:split", "--model", model,
                               "--set", f"seed={seed}"], hide_stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="esol_split.csv (smiles, log_solubility, split)")
    parser.add_argument("--models", default="dmpnn", help="comma-separated architectures")
    parser.add_argument("--seeds", default="0,1,2", help="weight seeds (the split is the file's own)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = Path(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"ESOL, column split; torch threads {torch.get_num_threads()}")
    print(f"{'model':>8} {'seed':>5} {'test RMSE':>10} {'epochs':>7} {'train s':>8} {'wall s':>7}")
    for model in args.models.split(","):
        rmses, walls = [], []
        for seed in seeds:
            report, wall = train(data, model, seed)
            rmse = report["metrics"]["test"]["rmse"]
            rmses.append(rmse)
            walls.append(wall)
            print(f"{model:>8} {seed:>5} {rmse:>10.4f} {report['epochs_run']:>7} "
                  f"{report['seconds']['train']:>8.1f} {wall:>7.1f}", flush=True)
        spread = statistics.pstdev(rmses) if len(rmses) > 1 else 0.0
        print(f"{model:>8} {'mean':>5} {statistics.mean(rmses):>10.4f} +- {spread:.4f}   "
              f"wall {statistics.mean(walls):.1f} s (min {min(walls):.1f}, max {max(walls):.1f})")


if __name__ == "__main__":
    main()
