"""A run's whole configuration, and its TOML form.

The GUI's "Export run config…" writes exactly what :func:`load_config` reads, and
``molstudio-cli train --config`` runs it. ``--set KEY=VALUE`` reaches any key of the
architecture's schema or of :data:`TRAINING_SCHEMA`.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema

TRAINING_SCHEMA = Schema(
    [
        Param("optimizer", "choice", "adamw", choices=("adam", "adamw", "sgd", "rmsprop"),
              help="Optimization algorithm (SGD uses momentum)."),
        Param("lr", "float", 1e-3, low=1e-7, high=10.0, log=True, label="Learning rate",
              help="Step size of the optimizer."),
        Param("weight_decay", "float", 1e-5, low=0.0, high=1.0, label="Weight decay",
              help="L2 penalty on the weights (regularization)."),
        Param("momentum", "float", 0.9, low=0.0, high=0.999, help="Momentum for SGD and RMSprop."),
        Param("batch_size", "int", 64, low=1, high=65536, log=True, label="Batch size",
              help="Compounds per gradient step."),
        Param("epochs", "int", 150, low=1, high=100000, help="Maximum passes over the training set."),
        Param("patience", "int", 30, low=0, high=100000, label="Early-stopping patience",
              help="Stop when the validation loss has not improved for this many epochs (0 = never)."),
        Param("lr_schedule", "choice", "cosine", choices=("none", "plateau", "cosine"), label="Learning-rate schedule",
              help="Learning-rate schedule: constant, halve on validation plateau, or cosine decay."),
        Param("grad_clip", "float", 0.0, low=0.0, high=1e6, label="Gradient clipping",
              help="Clip the gradient norm to this value (0 = off); helps against exploding gradients."),
        Param("seed", "int", 0, low=0, high=2**31 - 1, label="Weight seed", help="Seed for weight initialization and batch order."),
        Param("ensemble", "int", 1, low=1, high=100, label="Ensemble size",
              help="Train this many networks with different weight seeds; predictions are their mean "
                   "and their spread is reported as an uncertainty."),
        Param("device", "str", "auto", help="auto (CUDA, then Apple MPS, then CPU), cpu, cuda or cuda:N."),
        Param("amp", "bool", True, label="Mixed precision (GPU)", help="Mixed precision (bfloat16) when training on a CUDA GPU."),
    ]
)


@dataclass
class SplitConfig:
    method: str = "random"
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    column: str = ""


@dataclass
class RunConfig:
    """Everything that defines a training run. Empty values mean "detect from the table"."""

    structure_column: str = ""
    id_column: str = ""
    targets: list[str] = field(default_factory=list)
    task: str = "auto"
    descriptor_columns: list[str] = field(default_factory=list)
    features: list[Any] = field(default_factory=list)
    standardize: bool = False
    model: str = "mlp"
    hparams: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    split: SplitConfig = field(default_factory=SplitConfig)
    #: set by resolve_config: which table (and which choices) this configuration was resolved for
    resolved_for: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    def resolved_training(self) -> dict[str, Any]:
        """Training settings: the schema's defaults, then the architecture's own defaults
        (a graph network wants fewer epochs than a small MLP), then what the run sets."""
        return TRAINING_SCHEMA.resolve({**training_defaults(self.model), **self.training})

    def resolved_hparams(self) -> dict[str, Any]:
        return MODELS.get(self.model).schema.resolve(self.hparams)

    def set(self, key: str, value: Any) -> None:
        """Apply one ``KEY=VALUE`` setting to the architecture or the training settings."""
        key = key.strip()
        model_schema = MODELS.get(self.model).schema
        if (param := model_schema.get(key)) is not None:
            self.hparams[key] = param.parse(value)
        elif (param := TRAINING_SCHEMA.get(key)) is not None:
            self.training[key] = param.parse(value)
        elif key in ("split_seed",):
            self.split.seed = int(value)
        else:
            known = model_schema.names() + TRAINING_SCHEMA.names()
            raise MolStudioError(
                f"Unknown setting '{key}' for the '{self.model}' architecture.",
                hint=f"Known settings: {', '.join(known)}.",
            )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "data": {
                "structure_column": self.structure_column,
                "id_column": self.id_column,
                "targets": list(self.targets),
                "task": self.task,
                "descriptor_columns": list(self.descriptor_columns),
                "features": [_feature_text(f) for f in self.features],
                "standardize": self.standardize,
            },
            "split": {**asdict(self.split), "sizes": list(self.split.sizes)},
            "model": {"name": self.model, **self.resolved_hparams()},
            "training": self.resolved_training(),
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known_sections = {"data", "split", "model", "training"}
        config = cls()
        flat = {k: v for k, v in data.items() if k not in known_sections}
        d = data.get("data", {})
        config.structure_column = str(d.get("structure_column", d.get("smiles_column", "")) or "")
        config.id_column = str(d.get("id_column", "") or "")
        config.targets = _as_list(d.get("targets", d.get("target", [])))
        config.task = str(d.get("task", "auto"))
        config.descriptor_columns = _as_list(d.get("descriptor_columns", []))
        config.features = _as_list(d.get("features", []))
        config.standardize = bool(d.get("standardize", False))
        s = data.get("split", {})
        config.split = SplitConfig(
            method=str(s.get("method", "random")),
            sizes=tuple(float(x) for x in s.get("sizes", (0.8, 0.1, 0.1))),  # type: ignore[arg-type]
            seed=int(s.get("seed", 0)),
            column=str(s.get("column", "")),
        )
        m = dict(data.get("model", {}))
        config.model = str(m.pop("name", flat.pop("model", "mlp")))
        MODELS.get(config.model)
        for key, value in {**m, **data.get("training", {}), **flat}.items():
            config.set(key, value)
        return config


def plateau_patience(patience: int) -> int:
    """Epochs without improvement after which the plateau schedule halves the learning rate."""
    return max(2, patience // 3)


def early_stopping_can_end(epochs: int, patience: int) -> bool:
    """Whether early stopping (``patience`` epochs without improvement) can end a run of ``epochs``."""
    return 0 < patience < epochs


def setting_conflicts(training: dict[str, Any]) -> list[str]:
    """Training settings (resolved) that switch each other off, in words; empty when none do.

    Early stopping needs ``patience`` epochs without improvement, so a patience of the
    epoch count or more never stops a run; the plateau schedule halves the learning rate
    after a third of the patience without improvement, which must come before the run ends.
    """
    epochs, patience = int(training["epochs"]), int(training["patience"])
    out = []
    if patience > 0 and not early_stopping_can_end(epochs, patience):
        out.append(f"Early-stopping patience ({patience}) is not below the number of epochs ({epochs}): early "
                   "stopping can never end this run. Lower the patience, or set it to 0 to train every epoch.")
    if training["lr_schedule"] == "plateau" and plateau_patience(patience) >= epochs:
        out.append(f"The plateau schedule waits {plateau_patience(patience)} epochs before lowering the learning rate, "
                   f"not fewer than the {epochs} epochs of the run: it never acts.")
    return out


def training_defaults(model: str) -> dict[str, Any]:
    """The training settings an architecture starts from (TRAINING_SCHEMA's defaults otherwise)."""
    return dict(MODELS.get(model).training_defaults)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def _feature_text(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    params = ",".join(f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec['name']}({params})" if params else spec["name"]


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MolStudioError(f"The run configuration {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MolStudioError(f"The run configuration {path} is not a valid TOML file: {exc}") from None
    return RunConfig.from_dict(data)


def save_config(config: RunConfig, path: str | Path) -> None:
    from molstudio.core.atomic import atomic_write_bytes

    atomic_write_bytes(Path(path), tomli_w.dumps(config.to_dict()).encode("utf-8"))
