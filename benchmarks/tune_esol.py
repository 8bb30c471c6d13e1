"""What a hyperparameter search gains over the defaults on ESOL, and how long it takes (issue 6).

The architecture with its default settings is trained on ESOL's fixed split
(esol_split.csv, column ``split``); then a search of ``--trials`` trials (median pruner;
its first trial is the defaults), each scored on the validation set or, with
``--folds K``, by K-fold cross-validation over the training and validation compounds;
then runs with the best settings found. The defaults and the best settings are each
trained with ``--seeds`` weight seeds (one network each), so the difference is the
settings and not one lucky seed. Prints validation and test RMSE (mean ± SD over the
seeds) and the wall seconds.

    python benchmarks/tune_esol.py [--data ../shared/data/esol_split.csv] [--model mlp]
        [--trials 20] [--folds 0|5] [--seeds 3] [--timeout S] [--pruner median|hyperband]
        [--set epochs=100] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

from molstudio.core.run.config import RunConfig
from molstudio.core.search.tuning import SearchFinished, TrialReport, best_config, tune
from molstudio.core.tables import reading as io
from molstudio.core.training.loop import run_to_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "esol_split.csv"))
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--pruner", default="median")
    parser.add_argument("--folds", type=int, default=0, help="score trials by K-fold cross-validation (0: val set)")
    parser.add_argument("--seeds", type=int, default=3, help="weight seeds for the final runs")
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

    defaults, t_default = _runs(config, frame, args.seeds)

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        storage = Path(folder) / "esol.search.db"
        end = None
        for report in tune(config, frame, args.trials, args.timeout, storage, "esol", pruner=args.pruner, seed=0,
                           folds=args.folds):
            if isinstance(report, TrialReport):
                value = f"{report.value:.4f}" if report.value is not None else "-"
                print(f"trial {report.number:>2} {report.state:<8} score {value:>7} epochs {report.epochs:>4} "
                      f"{report.seconds:6.1f} s   best {report.best_value:.4f} (trial {report.best_number})",
                      flush=True)
            elif isinstance(report, SearchFinished):
                end = report
        t_search = time.perf_counter() - t0
        best = best_config(storage, "esol")
    best.training["ensemble"] = 1
    tuned, t_tuned = _runs(best, frame, args.seeds)

    scored = f"{args.folds}-fold cross-validation" if args.folds else "the validation set"
    print(f"\n{args.model} on ESOL, search scored on {scored}; final runs: {args.seeds} weight seeds each")
    print("| settings | val RMSE | test RMSE | seconds per run |\n|---|---|---|---|")
    summary = {}
    for name, finals, seconds in (("defaults", defaults, t_default),
                                  (f"best of {end.trials_run} trials", tuned, t_tuned)):
        val = [f.metrics["val"]["rmse"] for f in finals]
        test = [f.metrics["test"]["rmse"] for f in finals]
        print(f"| {name} | {_ms(val)} | {_ms(test)} | {seconds:.0f} |")
        summary[name.split()[0]] = {"val_rmse": val, "test_rmse": test, "seconds_per_run": seconds}
    print(f"search: {end.trials_run} trials in {t_search:.0f} s ({end.stopped}); best trial {end.best_number}, "
          f"settings {end.best_params}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "trials": end.trials_run, "folds": args.folds,
                                         "search_seconds": t_search, "best_params": end.best_params, **summary},
                                        indent=2, default=str))


def _runs(config: RunConfig, frame, seeds: int) -> tuple[list, float]:
    """``seeds`` runs of ``config`` with weight seeds 0..seeds-1; their reports and seconds per run."""
    finals = []
    t0 = time.perf_counter()
    for seed in range(seeds):
        cfg = copy.deepcopy(config)
        cfg.training["seed"] = seed
        finals.append(run_to_end(cfg, frame))
    return finals, (time.perf_counter() - t0) / seeds


def _ms(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"

if __name__ == "__main__":
    main()
