"""Candidate default configurations on every public set, at every size, beside Chemprop v2.

Each row is one configuration on one set, one size and one split, trained with exactly the
command a user types (``molstudio-cli train FILE --split column:split ...``) on a file whose
``split`` column this script writes, so that MolStudio and Chemprop see the same split:

- the fixed ``*_split`` files keep their own split;
- the other sets get a random split (seed 0) and a scaffold split (seed 0), 80/10/10;
- structures RDKit cannot read are dropped first (Chemprop refuses a file holding one);
- ``--sizes 100,300,1000,3000`` also runs seeded subsamples of the larger sets; for a fixed
  split, that many training and validation compounds (90/10) drawn from the fixed ones,
  tested on the whole fixed test set, so that every size is scored on the same compounds.

Printed per row: the metric (RMSE for one regression target, mean MAE over several as
MoleculeNet reports QM8, mean ROC-AUC for classification), the wall seconds of the whole
command, and for regression the test coverage of the 90 % prediction intervals with their
median width beside the width the test errors support (twice the 90th percentile of the
absolute test error: the narrowest constant interval that would have covered 90 %).
``--out rows.jsonl`` keeps every row; rows already there are not run again.

    python benchmarks/defaults_across_sets.py [--sets esol,freesolv,lipo] [--sizes full,100,300]
        [--splits fixed,random,scaffold] [--candidates recommended,mlp_x5] [--threads 2]
        [--chemprop /work/chemprop-venv/bin/chemprop] [--out rows.jsonl] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from cli_run import train_report
from rdkit import Chem, RDLogger
from tree_baselines import run_tree_baseline

from molstudio.core.run.metrics import classification_metrics, regression_metrics
from molstudio.core.run.splits import make_split
from molstudio.core.trained.file import load_model

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RDLogger.DisableLog("rdApp.*")


@dataclass(frozen=True)
class DataSet:
    file: str
    targets: tuple[str, ...]  # empty: every column but the structure
    task: str
    smiles: str = "smiles"
    fixed_split: bool = False
    descriptors: tuple[str, ...] = ()  # a descriptor-only table (no structures)


SETS = {
    "esol": DataSet("esol_split.csv", ("log_solubility",), "regression", fixed_split=True),
    "freesolv": DataSet("freesolv_split.csv", ("y",), "regression", fixed_split=True),
    "lipo": DataSet("lipo_split.csv", ("y",), "regression", fixed_split=True),
    "qm8": DataSet("qm8.csv", (), "regression"),
    "bace": DataSet("bace.csv", ("Class",), "classification", smiles="mol"),
    "bbbp": DataSet("bbbp.csv", ("p_np",), "classification"),
    "hiv": DataSet("hiv.csv", ("HIV_active",), "classification"),
    "tox21": DataSet("tox21.csv", (), "classification"),
    "sider": DataSet("sider.csv", (), "classification"),
    "affinity4": DataSet("binding_affinity_descriptors.csv", ("y",), "regression", smiles="",
                         descriptors=("f1", "f2", "f3", "f4")),
}

#: what each candidate adds to ``molstudio-cli train``; "recommended" adds nothing (the policy decides)
CANDIDATES: dict[str, list[str]] = {
    "recommended": [],
    "dmpnn+rdkit2d_x5": ["--model", "dmpnn", "--features", "rdkit2d", "--set", "ensemble=5"],
    "dmpnn_x1": ["--model", "dmpnn"],
    "mlp_count+rdkit2d_x1": ["--model", "mlp", "--features", "morgan_count,rdkit2d"],
    "mlp_count+rdkit2d_x5": ["--model", "mlp", "--features", "morgan_count,rdkit2d", "--set", "ensemble=5"],
    "mlp_rdkit2d_x5": ["--model", "mlp", "--features", "rdkit2d", "--set", "ensemble=5"],
    "gnn+rdkit2d_x5": ["--model", "gnn", "--features", "rdkit2d", "--set", "ensemble=5"],
    "dmpnn+rdkit2d_x5_b32": ["--model", "dmpnn", "--features", "rdkit2d", "--set", "ensemble=5",
                             "--set", "batch_size=32", "--set", "epochs=30", "--set", "patience=10"],
    "dmpnn+rdkit2d_x3_b32": ["--model", "dmpnn", "--features", "rdkit2d", "--set", "ensemble=3",
                             "--set", "batch_size=32", "--set", "epochs=30", "--set", "patience=10"],
    "dmpnn+rdkit2d_x5_b64": ["--model", "dmpnn", "--features", "rdkit2d", "--set", "ensemble=5",
                             "--set", "batch_size=64", "--set", "epochs=40", "--set", "patience=10"],
    "mlp_count+rdkit2d_x10_d2e40b128": ["--model", "mlp", "--features", "morgan_count,rdkit2d", "--set", "ensemble=10",
                                        "--set", "dropout=0.2", "--set", "epochs=40", "--set", "patience=15",
                                        "--set", "batch_size=128"],
    "mlp_count+rdkit2d_x5_d2e40b128_h1024": ["--model", "mlp", "--features", "morgan_count,rdkit2d", "--set",
                                             "ensemble=5", "--set", "dropout=0.2", "--set", "epochs=40", "--set",
                                             "patience=15", "--set", "batch_size=128", "--set",
                                             "hidden_sizes=1024,512"],
    "mlp_count+rdkit2d_x5_d2e40": ["--model", "mlp", "--features", "morgan_count,rdkit2d", "--set", "ensemble=5",
                                   "--set", "dropout=0.2", "--set", "epochs=40", "--set", "patience=15"],
    "mlp_count+rdkit2d_x5_d2e40b128": ["--model", "mlp", "--features", "morgan_count,rdkit2d", "--set", "ensemble=5",
                                       "--set", "dropout=0.2", "--set", "epochs=40", "--set", "patience=15",
                                       "--set", "batch_size=128"],
}


#: tree-ensemble baselines on the same features (benchmarks/tree_baselines.py)
TREES = {"random_forest": "rf", "lightgbm": "lgbm"}


def load_set(name: str) -> tuple[pd.DataFrame, DataSet, list[str]]:
    spec = SETS[name]
    frame = pd.read_csv(DATA / spec.file)
    # commas in column names (SIDER's "Neoplasms benign, malignant ...") would split a --target list
    frame.columns = [str(c).replace(",", ";") for c in frame.columns]
    if spec.smiles:  # Chemprop refuses a file with a structure RDKit cannot read; MolStudio sets it aside
        readable = [Chem.MolFromSmiles(str(s)) is not None for s in frame[spec.smiles]]
        frame = frame[readable].reset_index(drop=True)
    skip = {spec.smiles, "split", *spec.descriptors}
    targets = list(spec.targets) or [c for c in frame.columns if c not in skip]
    return frame, spec, targets


def split_variants(frame: pd.DataFrame, spec: DataSet, sizes: list[str], splits: list[str],
                   targets: list[str]) -> list[tuple[str, str, pd.DataFrame]]:
    """(size label, split label, table with a ``split`` column) for every requested variant."""
    out = []
    for size in sizes:
        if size == "full":
            part = frame
        elif spec.fixed_split:  # n training + validation compounds drawn from the fixed ones; the fixed test set whole
            n = int(size)
            fit_rows = np.flatnonzero(frame["split"].str.lower() != "test")
            if n >= len(fit_rows):
                continue
            if "fixed" in splits:
                drawn = np.random.default_rng(0).choice(fit_rows, n, replace=False)
                labels = np.where(np.arange(n) < round(0.9 * n), "train", "val")
                part = pd.concat([frame.iloc[drawn].assign(split=labels), frame[frame["split"].str.lower() == "test"]])
                out.append((size, "fixed", part.reset_index(drop=True)))
            continue
        else:
            n = int(size)
            if n >= len(frame):
                continue
            part = frame.iloc[np.sort(np.random.default_rng(0).choice(len(frame), n, replace=False))]
        part = part.reset_index(drop=True)
        for split in splits:
            if split == "fixed":
                if spec.fixed_split and size == "full":
                    out.append((size, split, part))
                continue
            if spec.fixed_split or (split == "scaffold" and not spec.smiles):
                continue
            labels = part[targets].to_numpy(dtype=float) if spec.task == "classification" else None
            chosen = make_split(len(part), split, (0.8, 0.1, 0.1), 0, labels=labels,
                                smiles=part[spec.smiles].astype(str).tolist() if spec.smiles else None)
            out.append((size, split, part.assign(split=chosen.as_labels(len(part)))))
    return out


def score(task: str, true: np.ndarray, pred: np.ndarray) -> tuple[str, float]:
    if task == "classification":
        return "roc_auc", float(classification_metrics(np.nan_to_num(true), pred, mask=~np.isnan(true))["roc_auc"])
    m = regression_metrics(np.nan_to_num(true), pred, mask=~np.isnan(true))
    return ("rmse", float(m["rmse"])) if true.shape[1] == 1 else ("mae", float(m["mae"]))


def interval_figures(model_path: Path, test: pd.DataFrame, targets: list[str]) -> dict:
    """Coverage and median width of the 90 % intervals on the test rows, beside the width the
    test errors support; all per target, then averaged."""
    model = load_model(model_path)
    pred = model.predict_frame(test)
    if f"{targets[0]}_lower" not in pred:
        return {}
    cover, width, supported = [], [], []
    for t in targets:
        true = test[t].to_numpy(float)
        ok = np.isfinite(true) & np.isfinite(pred[f"{t}_lower"].to_numpy(float))
        lo, hi = pred[f"{t}_lower"].to_numpy(float)[ok], pred[f"{t}_upper"].to_numpy(float)[ok]
        err = np.abs(true[ok] - pred[f"{t}_predicted"].to_numpy(float)[ok])
        cover.append(float(np.mean((true[ok] >= lo) & (true[ok] <= hi))))
        width.append(float(np.median(hi - lo)))
        supported.append(float(2 * np.quantile(err, 0.9)))
    return {"coverage": float(np.mean(cover)), "median_width": float(np.mean(width)),
            "supported_width": float(np.mean(supported))}


def run_molstudio(path: Path, spec: DataSet, targets: list[str], extra: list[str], table: pd.DataFrame,
                  tmp: Path) -> dict:
    args = ["--target", ",".join(targets), "--split", "column:split", *extra]
    if spec.smiles:
        args += ["--smiles-column", spec.smiles]
    model_path = tmp / "m.molstudio"
    report, wall = train_report(path, args, hide_stderr=True, out=model_path)
    test = table[table["split"] == "test"].reset_index(drop=True)
    row = {"seconds": wall, "featurize_seconds": report["seconds"].get("featurize"),
           "estimated_seconds": report.get("estimated_seconds"), "epochs_run": report.get("epochs_run"),
           "config": report.get("recommended")}
    metrics = report["metrics"]["test"]
    if spec.task == "classification":
        row["metric"], row["value"] = "roc_auc", metrics["roc_auc"]
    else:
        row["metric"] = "rmse" if len(targets) == 1 else "mae"
        row["value"] = metrics[row["metric"]]
        row.update(interval_figures(model_path, test, targets))
    return row


def run_chemprop(exe: str, path: Path, spec: DataSet, targets: list[str], table: pd.DataFrame,
                 tmp: Path, threads: int) -> dict:
    """Chemprop v2's ``train`` with its defaults on the same file and split."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = [exe, "train", "-i", str(path), "-s", spec.smiles, "--target-columns", *targets, "--splits-column",
           "split", "--task-type", spec.task, "--pytorch-seed", "0", "--accelerator", "cpu", "--devices", "1",
           "--save-dir", str(tmp / "chemprop")]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": done.stderr[-400:], "seconds": wall}
    found = sorted((tmp / "chemprop").rglob("test_predictions.csv"))
    pred = pd.read_csv(found[0])
    test = table[table["split"] == "test"].reset_index(drop=True)
    if len(pred) != len(test):
        return {"error": f"chemprop predicted {len(pred)} test rows, the split has {len(test)}", "seconds": wall}
    metric, value = score(spec.task, test[targets].to_numpy(float), pred[targets].to_numpy(float))
    return {"metric": metric, "value": value, "seconds": wall}


def key_of(row: dict) -> tuple:
    return row["set"], row["size"], row["split"], row["candidate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--sizes", default="full,100,300,1000,3000")
    parser.add_argument("--splits", default="fixed,random,scaffold")
    parser.add_argument("--candidates", default=",".join([*CANDIDATES, *TREES]))
    parser.add_argument("--chemprop", default="", help="the chemprop executable of its own environment")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--out", type=Path, default=None, help="JSON lines of every row (rows there are skipped)")
    parser.add_argument("--list", action="store_true", help="print the rows already in --out and stop")
    parser.add_argument("--markdown", action="store_true", help="with --list: one markdown table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    done: dict[tuple, dict] = {}
    if args.out and args.out.exists():
        for line in args.out.read_text().splitlines():
            row = json.loads(line)
            done[key_of(row)] = row
    names = [c for c in args.candidates.split(",") if c]
    unknown = [c for c in names if c not in CANDIDATES and c not in TREES]
    if unknown:
        raise SystemExit(f"unknown candidates {unknown}; known: {', '.join([*CANDIDATES, *TREES])}")
    if args.chemprop:
        names.append("chemprop_default")
    header = (f"{'set':<10} {'size':>5} {'split':<8} {'candidate':<24} {'metric':<7} {'value':>7} {'seconds':>8} "
              f"{'cover':>6} {'width':>6} {'needed':>6}")
    print(header)
    if args.list:
        for row in done.values():
            print(markdown_row(row) if args.markdown else format_row(row))
        return
    for set_name in args.sets.split(","):
        frame, spec, targets = load_set(set_name)
        for size, split, table in split_variants(frame, spec, args.sizes.split(","), args.splits.split(","), targets):
            with tempfile.TemporaryDirectory() as tmp_name:
                tmp = Path(tmp_name)
                path = tmp / f"{set_name}.csv"
                table.to_csv(path, index=False)
                for name in names:
                    base = {"set": set_name, "size": size if size != "full" else str(len(frame)), "split": split,
                            "candidate": name}
                    if key_of(base) in done:
                        print(format_row(done[key_of(base)]), flush=True)
                        continue
                    if name in TREES:
                        row = {**base, **run_tree_baseline(TREES[name], table, spec.smiles, spec.descriptors,
                                                           targets, spec.task)}
                    elif name == "chemprop_default":
                        if not spec.smiles:
                            continue
                        row = {**base, **run_chemprop(args.chemprop, path, spec, targets, table, tmp, args.threads)}
                    else:
                        row = {**base, **run_molstudio(path, spec, targets, CANDIDATES[name], table, tmp)}
                    done[key_of(row)] = row
                    if args.out:
                        with args.out.open("a") as fh:
                            fh.write(json.dumps(row) + "\n")
                    print(format_row(row), flush=True)


def markdown_row(row: dict) -> str:
    def num(key: str, fmt: str) -> str:
        value = row.get(key)
        return format(value, fmt) if isinstance(value, (int, float)) else ""

    cover = f"{num('coverage', '.2f')} · {num('median_width', '.2f')} / {num('supported_width', '.2f')}" \
        if "coverage" in row else ""
    return (f"| {row['set']} | {row['size']} | {row['split']} | {row['candidate']} | {row.get('metric', '')} "
            f"{num('value', '.3f')} | {num('seconds', '.0f')} | {cover} |")


def format_row(row: dict) -> str:
    def num(key: str, fmt: str) -> str:
        value = row.get(key)
        return format(value, fmt) if isinstance(value, (int, float)) else "-"

    if "error" in row:
        return f"{row['set']:<10} {row['size']:>5} {row['split']:<8} {row['candidate']:<24} failed: {row['error'][:80]}"
    return (f"{row['set']:<10} {row['size']:>5} {row['split']:<8} {row['candidate']:<24} {row.get('metric', '-'):<7} "
            f"{num('value', '7.3f')} {num('seconds', '8.1f')} {num('coverage', '6.2f')} {num('median_width', '6.2f')} "
            f"{num('supported_width', '6.2f')}")


if __name__ == "__main__":
    main()
