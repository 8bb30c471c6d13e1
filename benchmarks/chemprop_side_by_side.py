"""Chemprop 2.3.1 and MolStudio's dmpnn side by side on ESOL's predefined split (issue 4).

Chemprop runs in its own environment, as the ``chemprop`` executable given with
``--chemprop`` (e.g. ``/work/chemprop-venv/bin/chemprop``), with its default settings;
its test RMSE is computed here from the test predictions it writes. MolStudio's dmpnn runs
in this interpreter, also with its defaults. Both use the file's ``split`` column and the
same weight seeds. With ``--equal``, dmpnn instead runs at Chemprop's default settings
(hidden and feed-forward size 300, depth 3, 50 epochs, batch 64, no early stop), so the
seconds compare equal work. Wall-clock seconds cover the whole command (Chemprop's include its
start-up); they depend on what else the machine runs.

    python benchmarks/chemprop_side_by_side.py --chemprop /work/chemprop-venv/bin/chemprop \\
        --data ../shared/data/esol_split.csv [--seeds 0] [--threads 0] [--equal]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET = "log_solubility"


def run_chemprop(exe: str, data: Path, seed: int, threads: int) -> tuple[float, float]:
    """Test RMSE and wall seconds of ``chemprop train`` with its defaults."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "train", "-i", str(data), "-s", "smiles", "--target-columns", TARGET, "--splits-column", "split",
               "--task-type", "regression", "--pytorch-seed", str(seed), "--accelerator", "cpu", "--devices", "1",
               "--save-dir", tmp]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"chemprop failed ({done.returncode}):\n{done.stderr[-3000:]}")
        found = sorted(Path(tmp).rglob("test_predictions.csv"))
        if not found:
            raise SystemExit(f"chemprop wrote no test_predictions.csv under {tmp}")
        pred = pd.read_csv(found[0])
    truth = pd.read_csv(data)
    truth = truth[truth["split"].str.lower() == "test"]
    if len(pred) != len(truth) or list(pred["smiles"]) != list(truth["smiles"]):
        raise SystemExit("chemprop's test set is not the file's test split")
    rmse = float(np.sqrt(np.mean((pred[TARGET].to_numpy() - truth[TARGET].to_numpy()) ** 2)))
    return rmse, wall


CHEMPROP_SETTINGS = ["hidden_size=300", "ffn_hidden_size=300", "depth=3", "epochs=50", "batch_size=64",
                     "patience=0"]


def run_molstudio(data: Path, seed: int, equal: bool) -> tuple[float, float]:
    from cli_run import train_report

    settings = [f"seed={seed}", *(CHEMPROP_SETTINGS if equal else [])]
    report, wall = train_report(data, ["--target", TARGET, "--split", "column:split", "--model", "dmpnn",
                                       *(a for s in settings for a in ("--set", s))], hide_stderr=True)
    return report["metrics"]["test"]["rmse"], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chemprop", required=True, help="the chemprop executable of its own environment")
    parser.add_argument("--data", required=True, help="esol_split.csv (smiles, log_solubility, split)")
    parser.add_argument("--seeds", default="0", help="weight seeds")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (0 = torch's default)")
    parser.add_argument("--equal", action="store_true", help="dmpnn at Chemprop's default settings")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = Path(args.data)
    print(f"{'seed':>5} {'chemprop RMSE':>14} {'s':>6} {'dmpnn RMSE':>11} {'s':>6}")
    for seed in (int(s) for s in args.seeds.split(",")):
        c_rmse, c_wall = run_chemprop(args.chemprop, data, seed, args.threads)
        m_rmse, m_wall = run_molstudio(data, seed, args.equal)
        print(f"{seed:>5} {c_rmse:>14.4f} {c_wall:>6.1f} {m_rmse:>11.4f} {m_wall:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
