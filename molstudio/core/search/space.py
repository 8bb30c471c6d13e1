"""What a hyperparameter search may try: ranges derived from the architecture's schema.

A schema's ``low``/``high`` are the *allowed* values (a learning rate up to 10, layers of
8192 neurons), far wider than worth searching. The default search range is therefore
taken around each setting's default, inside the allowed range:

* log-scale numbers: the default divided and multiplied by 10 (floats) or 4 (integers);
* other integers: half to twice the default (at least one step either side);
* other floats: from the lower bound to twice the default or the middle of the range;
* choices and switches: every choice; lists of layer sizes: 1 to (default + 1) layers of
  one width (a log-scale width around the default's).

Training settings searched for every architecture: learning rate, batch size and weight
decay (:data:`TRAINING_RANGES`). The user narrows, widens or fixes any setting with
``overrides`` (``name -> (low, high)``, a list of choices, or one value); every value is
checked against the schema, so a range outside the allowed values is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param
from molstudio.core.run.config import TRAINING_SCHEMA

# Settings that change cost or prediction, not what the network learns: fixed unless the user asks.
# Attention heads stay fixed: most head counts do not divide most layer widths.
NOT_SEARCHED = frozenset({"max_length", "predict_augment", "kernel_sizes", "heads"})
# Log-scale widths are multiples of this (from 8 up), so the default heads divide them.
WIDTH_STEP = 8
# Training settings searched by default: (low, high, log); None = relative to the default.
TRAINING_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "lr": (None, None, True),
    "batch_size": (None, None, True),
    "weight_decay": (1e-6, 1e-2, True),
}


@dataclass(frozen=True)
class Dimension:
    """One searched setting. ``kind``: int, float, choice, or layers (an int_list of one width)."""

    name: str
    kind: str
    section: str  # "model" or "training"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    max_layers: int = 0

    def text(self) -> str:
        if self.kind == "choice":
            return f"{self.name}: {' | '.join(map(str, self.choices))}"
        scale = ", log scale" if self.log else ""
        if self.kind == "layers":
            return f"{self.name}: 1..{self.max_layers} layers of {self.low:g}..{self.high:g} neurons{scale}"
        return f"{self.name}: {self.low:g} .. {self.high:g}{scale}"

    def sample(self, trial: Any) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, log=self.log)
        low, high = self._bounds()
        if self.kind == "int":
            return self._round(trial.suggest_int(self.name, int(low), int(high), log=self.log))
        layers = trial.suggest_int(f"{self.name}_layers", 1, self.max_layers)
        width = trial.suggest_int(f"{self.name}_width", int(low), int(high), log=self.log)
        return [self._round(width)] * layers

    def _bounds(self) -> tuple[float, float]:
        assert self.low is not None and self.high is not None  # every kind but choice has a range
        return self.low, self.high

    def _round(self, value: int) -> int:
        low, high = self._bounds()
        if not (self.log and low >= WIDTH_STEP):
            return value
        top = int(high) // WIDTH_STEP * WIDTH_STEP
        bottom = -(-int(low) // WIDTH_STEP) * WIDTH_STEP
        return max(bottom, min(top, round(value / WIDTH_STEP) * WIDTH_STEP)) if bottom <= top else value

    def optuna_values(self, value: Any) -> dict[str, Any] | None:
        """``value`` as the trial parameters that give it (to enqueue the defaults); None if outside."""
        if self.kind == "layers":
            if not value or len(set(value)) != 1 or len(value) > self.max_layers:
                return None
            names, value = {f"{self.name}_layers": len(value)}, value[0]
            if not self.low <= value <= self.high:
                return None
            return {**names, f"{self.name}_width": value}
        if self.kind == "choice":
            return {self.name: value} if value in self.choices else None
        return {self.name: value} if self.low <= value <= self.high else None


@dataclass
class SearchSpace:
    """The searched dimensions of one architecture, and the settings the user fixed."""

    model: str
    dimensions: list[Dimension] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_model(cls, model: str, defaults: dict[str, Any] | None = None,
                  overrides: dict[str, Any] | None = None) -> SearchSpace:
        """The default space of ``model`` around ``defaults`` (name -> value), then ``overrides``."""
        schema = MODELS.get(model).schema
        defaults = defaults or {}
        space = cls(model)
        for param in schema:
            if param.name not in NOT_SEARCHED and param.type != "str":
                dim = _default_dimension(param, defaults.get(param.name, param.default), "model")
                if dim is not None:
                    space.dimensions.append(dim)
        for name, (low, high, log) in TRAINING_RANGES.items():
            param = TRAINING_SCHEMA.get(name)
            assert param is not None  # TRAINING_RANGES names training settings
            default = defaults.get(name, param.default)
            if low is None:
                dim = _default_dimension(param, default, "training")
                if dim is not None:
                    space.dimensions.append(dim)
            else:
                space.dimensions.append(Dimension(name, param.type, "training", low, high, log))
        for name, value in (overrides or {}).items():
            space.override(name, value)
        return space

    def override(self, name: str, value: Any) -> None:
        """Narrow, widen (``(low, high)`` or a list of choices) or fix (one value) a setting."""
        param, section = _find_param(self.model, name)
        self.dimensions = [d for d in self.dimensions if d.name != name]
        self.fixed.pop(name, None)
        if param.type == "choice" and isinstance(value, (list, tuple)) and len(value) > 1:
            chosen = tuple(dict.fromkeys(param.parse(v) for v in value))
            self.dimensions.append(Dimension(name, "choice", section, choices=chosen))
            return
        if param.type == "bool" and isinstance(value, (list, tuple)) and len(value) > 1:
            chosen = tuple(dict.fromkeys(param.parse(v) for v in value))
            self.dimensions.append(Dimension(name, "choice", section, choices=chosen))
            return
        if isinstance(value, (list, tuple)) and len(value) == 2 and param.type in ("int", "float", "int_list"):
            self.dimensions.append(_range_dimension(param, section, value))
            return
        if isinstance(value, (list, tuple)) and len(value) == 1 and param.type != "int_list":
            value = value[0]
        self.fixed[name] = param.parse(value)

    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def describe(self) -> list[str]:
        lines = [d.text() for d in self.dimensions]
        lines += [f"{name} = {value} (fixed)" for name, value in self.fixed.items()]
        return lines

    def sample(self, trial: Any, given: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """The trial's settings as ``{"model": {...}, "training": {...}}``.

        ``given`` values that no trial parameter can express (layers of different widths)
        are used as they are and left out of the trial's parameters.
        """
        out: dict[str, dict[str, Any]] = {"model": {}, "training": {}}
        for dim in self.dimensions:
            if given and dim.name in given and dim.optuna_values(given[dim.name]) is None:
                out[dim.section][dim.name] = given[dim.name]
            else:
                out[dim.section][dim.name] = dim.sample(trial)
        for name, value in self.fixed.items():
            out[_find_param(self.model, name)[1]][name] = value
        return out

    def trial_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Optuna parameters that reproduce ``values`` (name -> value), for the dimensions they fit."""
        out: dict[str, Any] = {}
        for dim in self.dimensions:
            if dim.name in values:
                out.update(dim.optuna_values(values[dim.name]) or {})
        return out


def parse_override(text: str) -> tuple[str, Any]:
    """``NAME=LOW..HIGH``, ``NAME=A,B,C`` (choices) or ``NAME=VALUE`` (fixed), as the CLI gives them."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise MolStudioError(
            f"A search range needs NAME=LOW..HIGH, NAME=CHOICE,CHOICE or NAME=VALUE, got '{text}'.",
            hint="For example: --search lr=1e-4..1e-2 --search activation=relu,gelu --search dropout=0.1",
        )
    if ".." in value:
        low, _, high = value.partition("..")
        return name, (low.strip(), high.strip())
    if "," in value:
        return name, [v.strip() for v in value.split(",") if v.strip()]
    return name, value


def _find_param(model: str, name: str) -> tuple[Param, str]:
    param = MODELS.get(model).schema.get(name)
    if param is not None:
        return param, "model"
    param = TRAINING_SCHEMA.get(name)
    if param is not None and name not in ("ensemble", "device", "seed"):
        return param, "training"
    known = MODELS.get(model).schema.names() + [n for n in TRAINING_SCHEMA.names()
                                                if n not in ("ensemble", "device", "seed")]
    raise MolStudioError(
        f"'{name}' is not a setting the search can change for the '{model}' architecture.",
        hint=f"Settings it can change: {', '.join(known)}.",
    )


def _range_dimension(param: Param, section: str, value: Any) -> Dimension:
    """A user's ``(low, high)`` for ``param``, checked against the allowed values."""
    element = Param(param.name, "int" if param.type == "int_list" else param.type, param.default,
                    low=param.low, high=param.high)
    low, high = (element.parse(v) for v in value)
    if low > high:
        raise MolStudioError(
            f"The search range of {param.name} goes from {low} down to {high}.",
            hint="Give the lower value first, e.g. 1e-4..1e-2.",
        )
    if param.type == "int_list":
        layers = max(len(param.default), 1) + 1
        return Dimension(param.name, "layers", section, low, high, param.log or high / max(low, 1) > 10,
                         max_layers=layers)
    return Dimension(param.name, param.type, section, low, high, param.log)


def _default_dimension(param: Param, default: Any, section: str) -> Dimension | None:
    lo = param.low if param.low is not None else -math.inf
    hi = param.high if param.high is not None else math.inf
    if param.type in ("choice", "bool"):
        choices = param.choices if param.type == "choice" else (False, True)
        return Dimension(param.name, "choice", section, choices=tuple(choices))
    if param.type == "int_list":
        if not default:
            return None
        widest = max(default)
        low, high = max(lo, 1, min(default) // 4), min(hi, widest * 2)
        return Dimension(param.name, "layers", section, low, high, True, max_layers=len(default) + 1)
    if param.log and default > 0:
        factor = 10.0 if param.type == "float" else 4.0
        low, high = max(lo, default / factor), min(hi, default * factor)
    elif param.type == "int":
        low, high = max(lo, min(default // 2, default - 1)), min(hi, max(default * 2, default + 1))
    else:
        low, high = lo, min(hi, max(2 * default, (lo + hi) / 2 if math.isfinite(hi) else 2 * default))
    if param.type == "int":
        low, high = math.ceil(low), math.floor(high)
    if not low < high:
        return None
    return Dimension(param.name, param.type, section, low, high, param.log)
