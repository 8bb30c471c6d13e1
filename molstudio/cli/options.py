"""The options every command that trains shares (train, tune, learning-curve), and the one
step they all start with: read the table, build the run from the options, check it."""

from __future__ import annotations

import argparse
import sys

from molstudio.core.run import RunConfig, resolve_config
from molstudio.core.run.choices import RunChoices, config_from_choices
from molstudio.core.tables import LoadedTable, read_table


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return value


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The data and model options of every command that trains."""
    parser.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file")
    parser.add_argument("--config", help="run configuration (TOML), as exported by the app")
    parser.add_argument("--sheet", help="XLSX sheet name or number (first by default)")
    parser.add_argument("--smiles-column", help="column holding the structures")
    parser.add_argument("--target", nargs="+", action="extend", help="column(s) to predict")
    parser.add_argument("--task", choices=["auto", "regression", "classification"])
    parser.add_argument("--descriptor-columns", help="comma-separated numeric columns to use as features")
    parser.add_argument("--features", help="e.g. morgan_count,rdkit2d or 'morgan_bits(radius=3,size=1024)'")
    parser.add_argument("--standardize", action="store_true", help="standardize structures (salts, charges)")
    parser.add_argument("--model", help="architecture (see 'molstudio-cli models'); without --model and "
                        "--features, the recommended model for the table")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="any hyperparameter or training setting, e.g. hidden_sizes=16,16 lr=0.01")
    parser.add_argument("--split", help="random | scaffold | stratified | column:NAME")
    parser.add_argument("--split-sizes", help="train,val,test fractions, e.g. 0.8,0.1,0.1 or 0.8,0,0.2")
    parser.add_argument("--seed", type=int, help="seed for the split and the weights")
    parser.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch (all cores by default)")


def choices_of(args: argparse.Namespace) -> RunChoices:
    """The run options as core's :class:`RunChoices`."""
    columns = [c.strip() for c in (args.descriptor_columns or "").split(",") if c.strip()]
    return RunChoices(
        config_file=args.config, model=args.model, features=args.features, descriptor_columns=columns,
        structure_column=args.smiles_column, targets=list(args.target or []), task=args.task,
        standardize=args.standardize, split=args.split, split_sizes=args.split_sizes, seed=args.seed,
        device=args.device, settings=list(args.settings),
    )


def table_and_config(args: argparse.Namespace) -> tuple[LoadedTable, RunConfig]:
    """The table (its load warnings printed) and the resolved run configuration, checked
    before any work; the core functions that train take it as it is, without resolving it again."""
    loaded = read_table(args.data, sheet=args.sheet)
    for warning in loaded.report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    config = resolve_config(config_from_choices(choices_of(args), loaded.frame), loaded.frame)
    return loaded, config
