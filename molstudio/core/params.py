"""Hyperparameter schema: one :class:`Param` per setting.

The GUI builds its forms from these, the CLI parses ``--set KEY=VALUE`` with them,
and a hyperparameter search reads the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from molstudio.core.errors import MolStudioError

PARAM_TYPES = ("int", "float", "bool", "choice", "int_list", "str")


@dataclass(frozen=True)
class Param:
    """One hyperparameter.

    ``type`` is one of ``int``, ``float``, ``bool``, ``choice``, ``int_list`` and ``str``.
    ``low``/``high`` bound numbers (and each element of an ``int_list``); ``log`` says the
    range is best searched on a log scale.
    """

    name: str
    type: str
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"bad param type {self.type}")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def range_text(self) -> str:
        if self.type == "choice":
            return " | ".join(self.choices)
        if self.type == "bool":
            return "true | false"
        if self.low is not None or self.high is not None:
            scale = ", log scale" if self.log else ""
            return f"{_fmt(self.low)} .. {_fmt(self.high)}{scale}"
        return ""

    def parse(self, value: Any) -> Any:
        """Convert text (from the CLI or a config file) or a value to this type; check range."""
        try:
            out = self._convert(value)
        except (TypeError, ValueError):
            raise MolStudioError(
                f"'{value}' is not a valid value for {self.name} ({self.type}).",
                hint=self.help or None,
            ) from None
        self._check(out)
        return out

    def _convert(self, value: Any) -> Any:
        if self.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if self.type == "float":
            return float(value)
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if self.type == "int_list":
            if isinstance(value, str):
                parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
                return [int(p) for p in parts]
            if isinstance(value, (int,)):
                return [int(value)]
            return [int(v) for v in value]
        if self.type == "choice":
            text = str(value).strip()
            lowered = {c.lower(): c for c in self.choices}
            if text.lower() not in lowered:
                raise MolStudioError(
                    f"'{value}' is not a valid value for {self.name}.",
                    hint=f"Choose one of: {', '.join(self.choices)}.",
                )
            return lowered[text.lower()]
        return str(value)

    def _check(self, value: Any) -> None:
        values = value if self.type == "int_list" else [value]
        if self.type not in ("int", "float", "int_list"):
            return
        for v in values:
            if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
                raise MolStudioError(
                    f"{self.name} = {value} is outside the allowed range {self.range_text()}."
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
            "log": self.log,
            "help": self.help,
        }


def _fmt(x: float | None) -> str:
    if x is None:
        return "∞"
    return f"{x:g}"


@dataclass
class Schema:
    """An ordered set of params with lookup by name."""

    params: list[Param] = field(default_factory=list)

    def __iter__(self):
        return iter(self.params)

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def get(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Defaults overridden by ``values`` (parsed and checked); unknown names are an error."""
        out = self.defaults()
        for key, value in values.items():
            param = self.get(key)
            if param is None:
                raise MolStudioError(
                    f"Unknown setting '{key}'.", hint=f"Known settings: {', '.join(self.names())}."
                )
            out[key] = param.parse(value)
        return out
