"""The recommended default on ESOL's fixed split, against the candidates it was chosen from.

Row 1 is exactly ``molstudio-cli train esol_split.csv --target log_solubility --split
column:split`` (no --model, no --features: the recommended configuration). The other rows
are the candidates, each an ensemble of 5 unless its name says otherwise.

    python benchmarks/recommended_default.py [--data ../shared/data/esol_split.csv] [--threads 2]
        [--candidates]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from cli_run import train_report as run

BASE = ["--target", "log_solubility", "--split", "column:split"]
CANDIDATES = {
    "dmpnn + rdkit2d, 5 networks": ["--model", "dmpnn", "--features", "rdkit2d", "--set", "ensemble=5"],
    "gnn + rdkit2d, 5 networks": ["--model", "gnn", "--features", "rdkit2d", "--set", "ensemble=5"],
    "mlp on morgan_count + rdkit2d, 5 networks": ["--model", "mlp", "--features", "morgan_count,rdkit2d",
                                                  "--set", "ensemble=5"],
    "dmpnn + rdkit2d, 1 network": ["--model", "dmpnn", "--features", "rdkit2d"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "esol_split.csv")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--seeds", default="0", help="weight seeds")
    parser.add_argument("--candidates", action="store_true", help="also run the candidate configurations")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = {"recommended default (no --model, no --features)": []}
    if args.candidates:
        rows.update(CANDIDATES)
    print(f"{'configuration':<50} {'seed':>4} {'test RMSE':>10} {'seconds':>8}")
    for name, extra in rows.items():
        for seed in [int(s) for s in args.seeds.split(",")]:
            report, wall = run(args.data, [*BASE, *extra, "--seed", str(seed)])
            print(f"{name:<50} {seed:>4} {report['metrics']['test']['rmse']:>10.3f} {wall:>8.1f}", flush=True)
    print("target: test RMSE <= 0.56 in under 5 minutes (Chemprop's best published ESOL figure 0.555 +- 0.047)")


if __name__ == "__main__":
    main()
