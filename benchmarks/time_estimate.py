"""How close ``molstudio-cli train``'s time estimate comes to the run's real time.

Trains the recommended configuration (no ``--model`` / ``--features``) on a seeded
subsample of a compound table through the CLI, exactly as a user types it, and prints the
report's ``estimated_seconds``, the run's ``seconds.total`` and their ratio (the goal: within
a factor 2 on 10,000 compounds).

    python benchmarks/time_estimate.py                                  # HIV, 10,000 compounds
    python benchmarks/time_estimate.py --set qm8                        # and QM8
    python benchmarks/time_estimate.py --rows 2000 -- --model mlp --set epochs=5   # a cheap check
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
from cli_run import train_report

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = {  # file, structure column, targets (None: every column but the structure)
    "hiv": ("hiv.csv", "smiles", ["HIV_active"]),
    "qm8": ("qm8.csv", "smiles", None),
}


def subsample(name: str, rows: int, seed: int, folder: Path) -> tuple[Path, str, list[str]]:
    """A seeded ``rows``-compound subsample of set ``name`` written to ``folder``."""
    file, structure, targets = SETS[name]
    frame = pd.read_csv(DATA / file)
    frame = frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
    targets = targets or [c for c in frame.columns if c != structure]
    path = folder / f"{name}_{len(frame)}.csv"
    frame[[structure, *targets]].to_csv(path, index=False)
    return path, structure, targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", action="append", choices=sorted(SETS), help="hiv (default), qm8")
    parser.add_argument("--rows", type=int, default=10_000, help="compounds in the subsample")
    parser.add_argument("--seed", type=int, default=0, help="seed of the subsample")
    parser.add_argument("extra", nargs="*", help="after --: more options for molstudio-cli train")
    args = parser.parse_args()
    print(f"{'set':6}{'compounds':>10}{'estimated s':>13}{'true s':>10}{'true/est':>10}  settings")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets or ["hiv"]:
            path, structure, targets = subsample(name, args.rows, args.seed, Path(tmp))
            report, wall = train_report(path, ["--smiles-column", structure, "--target", *targets, *args.extra],
                                        hide_stderr=True)
            estimated, true = report["estimated_seconds"], report["seconds"]["total"]
            print(f"{name:6}{args.rows:>10,}{estimated:>13.1f}{true:>10.1f}{true / estimated:>10.2f}  "
                  f"{' '.join(args.extra) or 'recommended'}; ensemble {report['ensemble']}, "
                  f"{report['epochs_run']} epochs ({report['stopped']}); command {wall:.1f} s")


if __name__ == "__main__":
    main()
