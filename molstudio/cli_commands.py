"""The sub-commands of ``molstudio-cli`` (argument parsing lives in :mod:`molstudio.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig, load_config
from molstudio.core.run.prepare import resolve_config
from molstudio.core.run.recommend import apply_recommended
from molstudio.core.run.splits import parse_sizes
from molstudio.core.tables import reading as io
from molstudio.core.tables.columns import detect_roles
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import train
from molstudio.core.training.reports import EpochReport, FinishedReport, StageReport


class ProgressBar:
    """A one-line terminal progress bar (plain lines when not on a terminal)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last_line = 0.0

    def show(self, done: int, total: int, text: str) -> None:
        if self.quiet:
            return
        width = 28
        frac = done / total if total else 0.0
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        line = f"[{bar}] {text}"
        if self.tty:
            sys.stderr.write("\r" + line[:120].ljust(120))
            sys.stderr.flush()
        elif time.monotonic() - self._last_line > 2.0 or done == total:
            print(line, file=sys.stderr)
            self._last_line = time.monotonic()

    def close(self) -> None:
        if not self.quiet and self.tty:
            sys.stderr.write("\n")


def build_config(args: argparse.Namespace, frame: pd.DataFrame) -> RunConfig:
    """The run configuration from the command line (and ``--config``) for the table ``frame``."""
    config = load_config(args.config) if args.config else RunConfig()
    if not (args.config or args.model or args.features):
        has_structures = bool(args.smiles_column or detect_roles(frame).structure)
        config = apply_recommended(config, has_structures)
    if args.model:
        config.model = args.model
        MODELS.get(config.model)
        config.hparams = {k: v for k, v in config.hparams.items() if MODELS.get(config.model).schema.get(k)}
    if args.smiles_column:
        config.structure_column = args.smiles_column
    if args.target:
        config.targets = [t for item in args.target for t in item.split(",") if t]
    if args.task:
        config.task = args.task
    if args.descriptor_columns:
        config.descriptor_columns = [c.strip() for c in args.descriptor_columns.split(",") if c.strip()]
        if not args.features and "columns" not in config.features:
            config.features = [*config.features, "columns"] if config.features else []
    if args.features:
        config.features = _feature_list(args.features)
        if config.descriptor_columns and "columns" not in config.features:
            config.features.append("columns")
    if args.standardize:
        config.standardize = True
    if args.split:
        method, _, column = args.split.partition(":")
        config.split.method = method
        config.split.column = column
    if args.split_sizes:
        config.split.sizes = parse_sizes(args.split_sizes)
    if args.seed is not None:
        config.split.seed = args.seed
        config.training["seed"] = args.seed
    if args.device:
        config.training["device"] = args.device
    for item in args.settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise MolStudioError(f"--set needs KEY=VALUE, got '{item}'.")
        config.set(key, value)
    return config


def _feature_list(text: str) -> list[str]:
    from molstudio.core.featurize.featurizers import split_top_level

    items = split_top_level(text)
    return ["columns" if i in ("descriptors", "columns") else i for i in items]


def _table_and_config(args: argparse.Namespace) -> tuple[io.LoadedTable, RunConfig]:
    """The table (its load warnings printed) and the run configuration, checked before any work."""
    loaded = io.read_table(args.data, sheet=args.sheet)
    for warning in loaded.report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    config = build_config(args, loaded.frame)
    resolve_config(config, loaded.frame)  # names, columns and settings
    return loaded, config


def cmd_train(args: argparse.Namespace) -> int:
    loaded, config = _table_and_config(args)
    if not (args.config or args.model or args.features or args.quiet):
        print(f"Using the recommended model: {config.model} on {', '.join(map(str, config.features))}, "
              f"ensemble of {config.resolved_training()['ensemble']} (choose another with --model and "
              "--features).", file=sys.stderr)
    bar = ProgressBar(args.quiet)
    cancel = threading.Event()
    final: FinishedReport | None = None
    try:
        for report in train(config, loaded.frame, cancel):
            if isinstance(report, StageReport):
                bar.show(report.done, report.total or 1, report.stage)
            elif isinstance(report, EpochReport):
                val = f"  val {report.val_loss:.4f}" if report.val_loss is not None else ""
                member = f"network {report.member + 1}/{report.members}  " if report.members > 1 else ""
                bar.show(report.epoch, report.epochs,
                         f"{member}epoch {report.epoch}/{report.epochs}  train {report.train_loss:.4f}{val}")
            elif isinstance(report, FinishedReport):
                final = report
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    assert final is not None and final.model is not None
    for warning in final.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if final.skipped:
        print(f"note: {len(final.skipped)} row(s) left out of training "
              f"(first: row {final.skipped[0][0] + 1}: {final.skipped[0][1]})", file=sys.stderr)
    save_model(final.model, args.out)
    summary = final.summary()
    if args.report:
        from molstudio.core.atomic import atomic_write_bytes

        atomic_write_bytes(Path(args.report), json.dumps(summary, indent=2, default=_plain).encode())
    _print_metrics(final.metrics, final.model.task)
    print(f"epochs: {final.epochs_run} (best {final.best_epoch}, {final.stopped}); "
          f"featurize {final.seconds['featurize']:.1f} s, train {final.seconds['train']:.1f} s")
    print(f"model written to {args.out}")
    return 0


def _plain(value: Any) -> Any:
    try:
        return value.item()
    except AttributeError:
        return str(value)


def _print_metrics(metrics: dict[str, dict], task: str) -> None:
    keys = ["rmse", "mse", "mae", "r2"] if task == "regression" else ["roc_auc", "pr_auc", "accuracy", "mcc"]
    print(f"{'':8}" + "".join(f"{k:>10}" for k in keys) + f"{'n':>8}")
    for part in ("train", "val", "test"):
        m = metrics.get(part) or {}
        if not m:
            continue
        print(f"{part:8}" + "".join(f"{m.get(k, float('nan')):>10.4f}" for k in keys) + f"{m.get('n', 0):>8}")


def cmd_predict(args: argparse.Namespace) -> int:
    from molstudio.core.trained.predict import predict_file

    model = load_model(args.model)
    bar = ProgressBar()
    summary = predict_file(model, args.data, args.out, chunk_rows=args.chunk_rows, images=args.images,
                           progress=lambda n: bar.show(n, n, f"{n} compounds predicted"), mc_dropout=args.mc_dropout)
    bar.close()
    print(f"{summary.rows} rows predicted ({summary.flagged} flagged) in {summary.seconds:.1f} s "
          f"({summary.per_second:.0f} compounds/s); written to {args.out}")
    if model.domain is not None:
        print(f"{summary.outside} of {summary.rows - summary.flagged} predicted compounds are outside the model's "
              f"applicability domain (in_domain = False: nearest training compound less similar than "
              f"{model.domain.threshold:.2f})")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(f"Model file:   {args.model}")
    print(f"Created:      {manifest.get('created')} with MolStudio {manifest.get('versions', {}).get('molstudio')}")
    print(f"Architecture: {manifest['architecture']}  {json.dumps(manifest['hparams'])}")
    print(f"Task:         {manifest['task']}; targets: {', '.join(manifest['targets'])}")
    feats = [f["name"] + ("" if len(f) == 1 else f"({', '.join(f'{k}={v}' for k, v in f.items() if k != 'name')})")
             for f in manifest["features"]]
    inputs = manifest["inputs"]
    count = inputs.get("feature_count", inputs.get("n_features"))
    print(f"Features:     {'; '.join(feats) or 'none'}" + (f" ({count} values per compound)" if count else ""))
    if manifest["members"] > 1:
        print(f"Ensemble:     {manifest['members']} networks (predictions are their mean; their spread is "
              "reported as the uncertainty)")
    if "domain" in manifest:
        d = manifest["domain"]
        print(f"Domain:       {d['compounds']} training compounds' Morgan fingerprints; in domain when the nearest "
              f"is at least {d['threshold']:.2f} similar ({d['rule']})")
    if "uncertainty" in manifest:
        u = manifest["uncertainty"]
        print(f"Intervals:    {u['coverage']:.0%} prediction intervals calibrated on {u['validation_compounds']} "
              f"validation compounds ({', '.join(n.replace('_', '-') for n in u['methods'])})")
    info = manifest.get("info", {})
    split = info.get("split", {})
    print(f"Split:        {split.get('method')} {split.get('sizes')} seed {split.get('seed')} -> {split.get('counts')}")
    print(f"Training:     {info.get('epochs_run')} epochs (best {info.get('best_epoch')}, {info.get('stopped')}), "
          f"weights seed {info.get('weights_seed')}")
    _print_metrics(manifest.get("metrics", {}), manifest["task"])
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    if args.json:
        out = {name: {"description": MODELS.get(name).description,
                      "hyperparameters": [p.to_dict() for p in MODELS.get(name).schema]}
               for name in MODELS.names()}
        out["training"] = {"description": "settings of every run",
                           "hyperparameters": [p.to_dict() for p in TRAINING_SCHEMA]}
        print(json.dumps(out, indent=2))
        return 0
    for name in MODELS.names():
        arch = MODELS.get(name)
        print(f"{name}: {arch.description}")
        _print_params(arch.schema)
        print()
    print("training settings (any architecture):")
    _print_params(TRAINING_SCHEMA)
    return 0


def _print_params(schema) -> None:
    params = list(schema)
    if not params:
        print("    (no hyperparameters)")
    width = max([14] + [len(p.name) for p in params])
    span = max([28] + [len(p.range_text()) for p in params])
    for p in params:
        default = ",".join(map(str, p.default)) if isinstance(p.default, list) else p.default
        print(f"    {p.name:<{width}} {p.type:<9} default {str(default):<10} {p.range_text():<{span}}  {p.help}")


def cmd_example(args: argparse.Namespace) -> int:
    from molstudio.core.tables.examples import write_example

    write_example(args.name, args.out)
    print(f"example '{args.name}' written to {args.out}")
    return 0


def cmd_learning_curve(args: argparse.Namespace) -> int:
    from molstudio.core.search.curves import LearningCurve, learning_curve

    loaded, config = _table_and_config(args)
    fractions = _fractions(args.fractions)
    bar = ProgressBar(args.quiet)
    cancel = threading.Event()
    curve: LearningCurve | None = None
    try:
        for report in learning_curve(config, loaded.frame, fractions, args.repeats, cancel, args.ensemble):
            if isinstance(report, StageReport):
                bar.show(report.done, report.total or 1, report.stage)
            elif isinstance(report, LearningCurve):
                curve = report
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    assert curve is not None
    for line in [*curve.warnings, *curve.notes]:
        print(f"note: {line}", file=sys.stderr)
    label = curve.metric_label
    print(f"{'fraction':>9}{'repeat':>8}{'compounds':>11}{'val ' + label:>14}{'train ' + label:>14}{'seconds':>9}")
    for p in curve.points:
        print(f"{p.fraction:>9g}{p.repeat + 1:>8}{p.n_train:>11}{p.val_metric:>14.4f}{p.train_metric:>14.4f}"
              f"{p.seconds:>9.1f}")
    print(f"validation set: {curve.split_counts.get('val', 0)} compounds, the same for every run")
    print(curve.reading)
    if args.out:
        curve.write(args.out, forbid=args.data)
        print(f"points written to {args.out}")
    return 0


def _fractions(text: str) -> list[float]:
    try:
        return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise MolStudioError(f"Cannot read the training-set fractions '{text}'.",
                             hint="Write them as numbers above 0 and at most 1, e.g. 0.1,0.25,0.5,1.") from None


def cmd_tune(args: argparse.Namespace) -> int:
    from molstudio.core.run.config import save_config
    from molstudio.core.search.space import parse_override
    from molstudio.core.search.tuning import (
        SearchFinished,
        TrialReport,
        best_config,
        default_storage,
        tune,
    )

    loaded, config = _table_and_config(args)
    config = resolve_config(config, loaded.frame)
    overrides = dict(parse_override(text) for text in args.search)
    storage = args.storage or default_storage(args.data)
    study = args.study or f"{Path(args.data).stem}-{config.model}"
    trials = args.trials if args.trials or args.timeout else 20
    if not args.quiet:
        print(f"search '{study}' in {storage}", file=sys.stderr)
    bar = ProgressBar(args.quiet)
    cancel = threading.Event()
    end: SearchFinished | None = None
    try:
        for report in tune(config, loaded.frame, trials, args.timeout, storage, study, cancel, args.pruner,
                           overrides, folds=args.folds):
            if isinstance(report, EpochReport):
                bar.show(report.epoch, report.epochs, f"epoch {report.epoch}/{report.epochs}")
            elif isinstance(report, TrialReport):
                bar.close()
                if not args.quiet:
                    print(_trial_line(report, f"{args.folds}-fold cv" if args.folds else "val"))
            elif isinstance(report, SearchFinished):
                end = report
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    assert end is not None
    if end.best_number is None:
        raise MolStudioError(f"No trial of the search '{study}' has finished yet, so there is no best setting.",
                             hint="Give the search more trials or more time.")
    settings = "  ".join(f"{k}={_setting_text(v)}" for k, v in end.best_params.items())
    scored = f"{args.folds}-fold cross-validation" if args.folds else "val"
    print(f"{end.trials_run} trial(s) run ({end.stopped}); best: trial {end.best_number}, "
          f"{scored} {end.metric} {end.best_value:.4f}")
    print(f"best settings: {settings}")
    if args.out:
        save_config(best_config(storage, study), args.out)
        print(f"best run configuration written to {args.out} (train it with: molstudio-cli train DATA "
              f"--config {args.out} --out MODEL.molstudio)")
    return 0


def _trial_line(report: Any, scored: str = "val") -> str:
    value = "" if report.value is None else f"{scored} {report.metric} {report.value:.4f}"
    state = {"complete": "", "pruned": f" (stopped early at epoch {report.epochs})",
             "failed": f"failed: {report.message}"}[report.state]
    best = (f"best {report.best_value:.4f} (trial {report.best_number})" if report.best_number is not None
            else "no best yet")
    settings = " ".join(f"{k}={_setting_text(v)}" for k, v in report.params.items())
    return f"trial {report.number}: {value}{state}  [{best}, {report.seconds:.1f} s]  {settings}"


def _setting_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def cmd_explain(args: argparse.Namespace) -> int:
    from molstudio.core.explain.atoms import atom_contributions, write_contributions

    model = load_model(args.model)
    frame = io.read_table(args.data).frame
    structure = model.check_table(frame)
    if structure is None:
        raise MolStudioError("This model reads only descriptor columns, not structures, so no atom can be credited "
                             "with its prediction.", hint="Use 'molstudio-cli importance' instead.")
    rows = _explain_rows(args, len(frame))
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    id_column = detect_roles(frame).id
    parts, drawn = [], 0
    for row in rows:
        record = frame.iloc[row - 1]
        try:
            contrib = atom_contributions(model, record[structure], args.target,
                                         descriptors=record.to_dict() if model.inputs.descriptor_columns else None)
        except MolStudioError as exc:
            print(f"note: row {row} not explained: {exc.message}", file=sys.stderr)
            continue
        name = _file_stem(record[id_column] if id_column else "", row)
        write_contributions(contrib, folder / f"{name}.{args.format}")
        drawn += 1
        table = contrib.table()
        table.insert(0, "row", row)
        if id_column:
            table.insert(1, id_column, record[id_column])
        table.insert(len(table.columns) - 3, "smiles", contrib.smiles)
        table.insert(len(table.columns) - 3, "prediction", contrib.prediction)
        parts.append(table)
    if not parts:
        raise MolStudioError(f"None of the {len(rows)} row(s) chosen could be explained (see the notes above).")
    io.write_table(pd.concat(parts, ignore_index=True), folder / "atom_contributions.csv", forbid=args.data)
    print(f"{drawn} compound(s) explained: {contrib.method}; red raises the prediction, blue lowers it.")
    print(f"pictures and atom_contributions.csv written to {folder}")
    return 0


def _explain_rows(args: argparse.Namespace, n: int) -> list[int]:
    """Rows (1-based, as in the file) chosen with --rows or --first."""
    if not args.rows:
        return list(range(1, min(args.first, n) + 1))
    try:
        rows = [int(part) for part in args.rows.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise MolStudioError(f"Cannot read the rows '{args.rows}'.",
                             hint="Write row numbers as in the file (first data row = 1), e.g. 1,5,9.") from None
    outside = [r for r in rows if not 1 <= r <= n]
    if outside or not rows:
        raise MolStudioError(f"The table has rows 1 to {n}; row {outside[0] if outside else args.rows} is not one "
                             "of them.")
    return rows


def _file_stem(label: object, row: int) -> str:
    text = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(label).strip())[:40].strip("._")
    return f"row{row}" + (f"_{text}" if text else "")


def cmd_importance(args: argparse.Namespace) -> int:
    from molstudio.core.explain.importance import (
        FeatureImportance,
        permutation_importance_steps,
    )

    model = load_model(args.model)
    frame = io.read_table(args.data).frame
    bar = ProgressBar()
    cancel = threading.Event()
    result: FeatureImportance | None = None
    try:
        for report in permutation_importance_steps(model, frame, args.target, args.repeats, cancel=cancel):
            if isinstance(report, StageReport):
                bar.show(report.done, report.total or 1, report.stage)
            else:
                result = report
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    assert result is not None
    table = result.table
    print(f"{result.compounds} compounds; importance = {result.metric} when the feature is shuffled "
          f"(baseline {result.baseline:.4g}), mean and spread over {args.repeats} shuffles")
    width = max([7] + [len(f) for f in table["feature"].head(args.top)])
    print(f"{'feature':<{width}}  {'importance':>10}  {'spread':>8}  example")
    for item in table.head(args.top).itertuples():
        print(f"{item.feature:<{width}}  {item.importance_mean:>10.4g}  {item.importance_std:>8.3g}  {item.example}")
    if args.out:
        io.write_table(table, args.out, forbid=args.data)
        print(f"every feature's importance written to {args.out}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "learning-curve": cmd_learning_curve,
    "tune": cmd_tune,
    "predict": cmd_predict,
    "info": cmd_info,
    "models": cmd_models,
    "example": cmd_example,
    "explain": cmd_explain,
    "importance": cmd_importance,
}
