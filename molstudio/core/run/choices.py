"""A run built from a user's choices: the rules the command line and the app share.

``molstudio-cli train/tune/learning-curve`` turn their options into a :class:`RunChoices`
and :func:`config_from_choices` makes the run; the app's training panel asks the same
module what an architecture reads (:func:`input_kind`), which training settings it starts
from (:func:`training_start`), what switching to it keeps (:func:`switch_architecture`)
and what the recommended start for a table is (:func:`recommended_start`). A search's
default name (:func:`default_study_name`) is the same for both, so the app finds a search
the command line started and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import split_top_level
from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig, load_config, training_defaults
from molstudio.core.run.recommend import TRAINING_KEYS, apply_recommended, quick, recommended
from molstudio.core.run.splits import parse_sizes
from molstudio.core.tables.columns import detect_roles, task_type


def input_kind(model: str) -> str:
    """``"vector"``, ``"graph"`` or ``"tokens"``: what architecture ``model`` reads."""
    return str(getattr(MODELS.get(model), "input_kind", "vector"))


def require_structures(model: str, structure_column: str | None) -> None:
    """Refuse an architecture that reads structures for a table without a structure column."""
    if input_kind(model) != "vector" and not structure_column:
        raise MolStudioError(
            f"The {model} network reads each molecule's structure, and this table has no structure "
            "(SMILES) column.",
            hint="Choose mlp or linear, which read the table's numeric columns.",
        )


def tuned_keys() -> list[str]:
    """Training settings some architecture sets its own default for (epochs, lr, ...)."""
    keys = {k for name in MODELS.names() for k in training_defaults(name)}
    return [k for k in TRAINING_SCHEMA.names() if k in keys]


def training_start(model: str) -> dict[str, Any]:
    """The training settings architecture ``model`` starts from (the schema's, then its own)."""
    return TRAINING_SCHEMA.resolve(training_defaults(model))


def switch_architecture(config: RunConfig, model: str) -> None:
    """Make ``config`` a run of ``model``, keeping the hyperparameters its schema also has."""
    schema = MODELS.get(model).schema  # an unknown name is refused here, with the known ones
    config.model = model
    config.hparams = {k: v for k, v in config.hparams.items() if schema.get(k)}


def recommended_start(has_structures: bool, compounds: int = 0, quick_choice: bool = False,
                      task: str = "") -> tuple[str, list[str], dict[str, Any]]:
    """The recommended (or the quick) architecture, features and training settings for a
    table of ``compounds`` rows and ``task`` (see :func:`~molstudio.core.run.recommend.recommended`).

    The training settings cover every key any choice of the policy names
    (:data:`~molstudio.core.run.recommend.TRAINING_KEYS`), each at this choice's value or the
    architecture's own start, so that switching between choices leaves no setting of
    another behind.
    """
    rec = (quick if quick_choice else recommended)(has_structures, compounds, task)
    keys = set(TRAINING_KEYS)
    start = training_start(rec["model"])
    return rec["model"], list(rec["features"]), {k: rec["training"].get(k, start[k]) for k in keys}


def guess_task(frame: Any, targets: list[str]) -> str:
    """"classification" or "regression" as the targets' values look; "" when it cannot be told
    (no target, a target not in the table, or targets of both kinds)."""
    if not targets or any(t not in frame.columns for t in targets):
        return ""
    kinds = {task_type(frame[t]) for t in targets}
    return kinds.pop() if len(kinds) == 1 else ""


def parse_feature_list(text: str) -> list[str]:
    """Features as typed (``morgan_count,rdkit2d``, ``morgan_bits(radius=3,size=1024)``);
    ``descriptors`` is another name for the table's own ``columns``."""
    return ["columns" if item in ("descriptors", "columns") else item for item in split_top_level(text)]


def default_study_name(config: RunConfig, source: str | Path | None, folds: int = 0) -> str:
    """The name a search is kept under unless the user names it: the data file and the
    architecture (the targets for a table without a file), and ``-cvK`` when trials are
    scored by K-fold cross-validation (a study is never scored two ways)."""
    stem = Path(source).stem if source is not None else "-".join(config.targets)
    return f"{stem}-{config.model}" + (f"-cv{folds}" if folds else "")


@dataclass
class RunChoices:
    """What a user chose for a run; ``None`` (or empty) leaves it to the configuration file,
    the recommendation or detection from the table."""

    config_file: str | Path | None = None
    model: str | None = None
    features: str | None = None  # as typed: "morgan_count,rdkit2d"
    descriptor_columns: list[str] = field(default_factory=list)
    structure_column: str | None = None
    targets: list[str] = field(default_factory=list)
    task: str | None = None
    standardize: bool = False
    split: str | None = None  # random | scaffold | stratified | column:NAME
    split_sizes: str | None = None  # "0.8,0.1,0.1"
    seed: int | None = None
    device: str | None = None
    settings: list[str] = field(default_factory=list)  # KEY=VALUE, any hyperparameter or training setting

    @property
    def uses_recommendation(self) -> bool:
        """Whether the run is the recommended one (no configuration file, model or features chosen)."""
        return not (self.config_file or self.model or self.features)


def config_from_choices(choices: RunChoices, frame: Any) -> RunConfig:
    """The run configuration of ``choices`` for the table ``frame`` (not yet resolved)."""
    config = load_config(choices.config_file) if choices.config_file else RunConfig()
    if choices.uses_recommendation:
        roles = detect_roles(frame)
        has_structures = bool(choices.structure_column or roles.structure)
        targets = [t for item in choices.targets for t in item.split(",") if t] or config.targets or roles.targets
        config = apply_recommended(config, has_structures, len(frame),
                                   task=choices.task or guess_task(frame, targets))
    if choices.model:
        switch_architecture(config, choices.model)
    if choices.structure_column:
        config.structure_column = choices.structure_column
    if choices.targets:
        config.targets = [t for item in choices.targets for t in item.split(",") if t]
    if choices.task:
        config.task = choices.task
    if choices.descriptor_columns:
        config.descriptor_columns = list(choices.descriptor_columns)
        if not choices.features and "columns" not in config.features:
            config.features = [*config.features, "columns"] if config.features else []
    if choices.features:
        config.features = parse_feature_list(choices.features)
        if config.descriptor_columns and "columns" not in config.features:
            config.features.append("columns")
    if choices.standardize:
        config.standardize = True
    if choices.split:
        method, _, column = choices.split.partition(":")
        config.split.method = method
        config.split.column = column
    if choices.split_sizes:
        config.split.sizes = parse_sizes(choices.split_sizes)
    if choices.seed is not None:
        config.split.seed = choices.seed
        config.training["seed"] = choices.seed
    if choices.device:
        config.training["device"] = choices.device
    for item in choices.settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise MolStudioError(f"--set needs KEY=VALUE, got '{item}'.")
        config.set(key, value)
    return config
