"""What a hyperparameter search gains over the defaults on ESOL, and how long it takes (issue 6).

The architecture with its default settings is trained once on ESOL's fixed split
(esol_split.csv, column ``split``); then a search of ``--trials`` trials (median pruner,
chosen on the validation set only; its first trial is the defaults) and one run with the
best settings found. Both final runs use one network and the same weight seed, so the
difference is the settings. Prints validation and test RMSE and the wall seconds.

    python benchmarks/tune_esol.py [--data ../shared/data/esol_split.csv] [--model mlp]
        [--trials 20] [--timeout S] [--pruner median|hyperband] [--set epochs=100] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from molstudio.core import io
from molstudio.core.config import RunConfig
from molstudio.core.training import run_to_end
from molstudio.core.tuning import SearchFinished, TrialReport, best_config, tune


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "esol_split.csv"))
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--pruner", default="median")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    frame = io.read_table(args.data).frame
    config = RunConfig(model=args.model, targets=["log_solubility"], structure_column="smiles")
    config.split.method, config.split.column = "column", "split"
    for item in args.settings:
        key, _, value = item.partition("=")
        config.set(key, value)
    config.training["ensemble"] = 1

    t0 = time.perf_counter()
    default = run_to_end(config, frame)
    t_default = time.perf_counter() - t0

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        storage = Path(folder) / "esol.search.db"
        end = None
        for report in tune(config, frame, args.trials, args.timeout, storage, "esol", pruner=args.pruner, seed=0):
            if isinstance(report, TrialReport):
                value = f"{report.value:.4f}" if report.value is not None else "-"
                print(f"trial {report.number:>2} {report.state:<8} val rmse {value:>7} epochs {report.epochs:>4} "
                      f"{report.seconds:6.1f} s   best {report.best_value:.4f} (trial {report.best_number})",
                      flush=True)
            elif isinstance(report, SearchFinished):
                end = report
        t_search = time.perf_counter() - t0
        best = best_config(storage, "esol")
    best.training["ensemble"] = 1
    t0 = time.perf_counter()
    tuned = run_to_end(best, frame)
    t_tuned = time.perf_counter() - t0

    rows = [("defaults", default, t_default), (f"best of {end.trials_run} trials", tuned, t_tuned)]
    print(f"\n| {args.model} on ESOL | val RMSE | test RMSE | seconds |\n|---|---|---|---|")
    for name, final, seconds in rows:
        print(f"| {name} | {final.metrics['val']['rmse']:.3f} | {final.metrics['test']['rmse']:.3f} | {seconds:.0f} |")
    print(f"search: {end.trials_run} trials in {t_search:.0f} s ({end.stopped}); best trial {end.best_number}, "
          f"settings {end.best_params}")
    if args.json:
        args.json.write_text(json.dumps({
            "model": args.model, "trials": end.trials_run, "search_seconds": t_search,
            "best_params": end.best_params,
            "default": {"val_rmse": default.metrics["val"]["rmse"], "test_rmse": default.metrics["test"]["rmse"],
                        "seconds": t_default},
            "tuned": {"val_rmse": tuned.metrics["val"]["rmse"], "test_rmse": tuned.metrics["test"]["rmse"],
                      "seconds": t_tuned},
        }, indent=2, default=str))


if __name__ == "__main__":
    main()
