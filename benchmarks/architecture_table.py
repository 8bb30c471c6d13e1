"""Every registered architecture on ESOL, BBBP and Tox21, with its defaults (issue: architectures).

One row per architecture: ESOL test RMSE (the fixed split in esol_split.csv), BBBP test
ROC-AUC (target p_np, scaffold split 80/10/10, seed 0), Tox21 mean test ROC-AUC over its
12 tasks (missing labels masked, random split 80/10/10, seed 0), and the wall seconds of
each run. Runs go through ``molstudio-cli train`` exactly as a user would type them.

    python benchmarks/architecture_table.py [--data-dir ../shared/data] [--models dmpnn,mlp]
        [--sets esol,bbbp,tox21] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli_run import train_report as run

from molstudio.core.architectures import MODELS

SETS = {
    "esol": ("esol_split.csv", ["--target", "log_solubility", "--split", "column:split"], "rmse"),
    "bbbp": ("bbbp.csv", ["--target", "p_np", "--split", "scaffold", "--split-sizes", "0.8,0.1,0.1"], "roc_auc"),
    "tox21": ("tox21.csv", ["--target", "NR-AR,NR-AR-LBD,NR-AhR,NR-Aromatase,NR-ER,NR-ER-LBD,NR-PPAR-gamma,"
                                       "SR-ARE,SR-ATAD5,SR-HSE,SR-MMP,SR-p53",
                            "--task", "classification", "--split", "random", "--split-sizes", "0.8,0.1,0.1"],
              "roc_auc"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--models", default=",".join(MODELS.names()))
    parser.add_argument("--sets", default="esol,bbbp,tox21")
    parser.add_argument("--seed", type=int, default=0, help="weight seed")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    sets = [s for s in args.sets.split(",") if s]
    results: dict[str, dict] = {}
    header = f"| {'architecture':<20} |" + "".join(
        f" {name + ' ' + SETS[name][2]:>16} | {'s':>6} |" for name in sets)
    print(header)
    print("|" + "---|" * (1 + 2 * len(sets)))
    for model in [m for m in args.models.split(",") if m]:
        row = f"| {model:<20} |"
        results[model] = {}
        for name in sets:
            file, extra, metric = SETS[name]
            report, wall = run(data_dir / file, [*extra, "--model", model, "--seed", str(args.seed)])
            value = report["metrics"]["test"][metric]
            results[model][name] = {metric: value, "seconds": wall, "epochs_run": report["epochs_run"]}
            row += f" {value:>16.3f} | {wall:>6.1f} |"
        print(row, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
