"""Streaming prediction of a 1,000,000-row SMILES file: throughput and memory (issue: robustness).

Makes the file by repeating the structures of the shared sets (ESOL, BBBP, Tox21) with an
id column, trains a small model on ESOL once, then runs ``molstudio-cli predict`` on the
file in a fresh process per case and prints:

- compounds per second over the whole file (reading, parsing, featurizing, predicting,
  writing the CSV);
- the process's resident memory (RSS) after each chunk, summarised as the value at 10 %,
  50 % and 100 % of the rows and the peak (VmHWM): flat memory means the last equals the
  first few;
- the same with a share of invalid SMILES mixed in (``--invalid 0.1``), to show that bad
  rows do not slow the run down.

    python benchmarks/million_row_prediction.py [--data-dir ../shared/data] [--rows 1000000]
        [--invalid 0,0.1] [--model mlp] [--features morgan_count] [--chunk-rows 20000]
        [--threads 0] [--keep DIR]

Figures are wall-clock on this machine, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

INVALID = ["C1CC", "C(C)(C)(C)(C)C", "not a molecule", "c1cccc1X", ""]
SETS = {"esol.csv": "smiles", "bbbp.csv": "smiles", "tox21.csv": "smiles"}

# Runs in the child: predict_file with a progress callback that samples the process's RSS.
CHILD = r"""
import json, sys, time
from molstudio.core.trained.file import load_model
from molstudio.core.trained.predict import predict_file

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024  # MiB
    return float("nan")

model_path, data, out, chunk_rows, threads = sys.argv[1:6]
if int(threads):
    import torch
    torch.set_num_threads(int(threads))
model = load_model(model_path)
samples = []
summary = predict_file(model, data, out, chunk_rows=int(chunk_rows),
                       progress=lambda n: samples.append((n, status("VmRSS"))))
print(json.dumps({"rows": summary.rows, "flagged": summary.flagged, "seconds": summary.seconds,
                  "samples": samples, "peak_mib": status("VmHWM")}))
"""


def structures(data_dir: Path) -> list[str]:
    out: list[str] = []
    for name, column in SETS.items():
        out += pd.read_csv(data_dir / name, usecols=[column])[column].dropna().astype(str).tolist()
    return out


def make_file(smiles: list[str], rows: int, invalid: float, path: Path) -> None:
    """``rows`` rows of id,smiles; every round(1/invalid)-th structure is an invalid one."""
    every = round(1 / invalid) if invalid > 0 else 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("compound_id,smiles\n")
        for i in range(rows):
            s = INVALID[i % len(INVALID)] if every and i % every == every - 1 else smiles[i % len(smiles)]
            fh.write(f"C{i:07d},\"{s}\"\n")


def train_model(data_dir: Path, model: str, features: str, out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cli_run import train_report

    train_report(data_dir / "esol_split.csv", ["--target", "log_solubility", "--split", "column:split",
                                               "--model", model, "--features", features, "--set", "epochs=20"],
                 hide_stderr=True, out=out)


def at_fraction(samples: list[list[float]], rows: int, frac: float) -> float:
    return next(rss for n, rss in samples if n >= frac * rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--invalid", default="0,0.1", help="shares of invalid SMILES, one run each")
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--features", default="morgan_count")
    parser.add_argument("--chunk-rows", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=0, help="torch threads in the child (0 = default)")
    parser.add_argument("--keep", type=Path, help="folder for the made files (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        model_path = folder / "esol.molstudio"
        t0 = time.perf_counter()
        train_model(args.data_dir, args.model, args.features, model_path)
        print(f"model: {args.model} on {args.features}, trained on ESOL in {time.perf_counter() - t0:.0f} s")
        smiles = structures(args.data_dir)
        print(f"{'invalid':>8} {'rows':>9} {'flagged':>8} {'s':>7} {'compounds/s':>12} "
              f"{'RSS@10%':>8} {'RSS@50%':>8} {'RSS@100%':>9} {'peak MiB':>9}")
        for share in (float(s) for s in args.invalid.split(",")):
            data = folder / f"smiles_{args.rows}_{share:g}.csv"
            make_file(smiles, args.rows, share, data)
            out = folder / f"predicted_{share:g}.csv"
            done = subprocess.run([sys.executable, "-c", CHILD, str(model_path), str(data), str(out),
                                   str(args.chunk_rows), str(args.threads)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"prediction failed:\n{done.stderr[-3000:]}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            s = r["samples"]
            print(f"{share:>8.0%} {r['rows']:>9,} {r['flagged']:>8,} {r['seconds']:>7.1f} "
                  f"{r['rows'] / r['seconds']:>12,.0f} {at_fraction(s, r['rows'], 0.1):>8.0f} "
                  f"{at_fraction(s, r['rows'], 0.5):>8.0f} {s[-1][1]:>9.0f} {r['peak_mib']:>9.0f}", flush=True)
            data.unlink()
            out.unlink()


if __name__ == "__main__":
    main()
