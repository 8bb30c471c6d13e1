"""The vocabulary a model file's manifest schema is written in: small rules for JSON values
read from a file.

A rule checks one value (:meth:`Rule.check`) and raises :class:`Invalid` naming where the
value sits in the manifest (``hparams.hidden_sizes``, ``features[0].size``,
``tensors['member0.weight'].shape``) and what is wrong with it, in words a chemist reads
after "the model file … is damaged or was altered: ". Rules nest (:class:`ListOf`,
:class:`MapOf`, :class:`Record`); :class:`Settings` checks values against a
:class:`~molstudio.core.params.Schema`, the one description of hyperparameters and settings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema

MAX_NAME = 1000  # characters of a column, target or tensor name
MAX_LIST = 1000  # items of a list (hidden layer sizes, ...)
MAX_TEXT = 2**20  # characters of a text setting (a featurizer's column list)


class Invalid(Exception):
    """A manifest field that breaks its rule; ``why`` reads after "damaged or was altered: "."""

    def __init__(self, why: str, newer: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.newer = newer  # the field names something a newer MolStudio may have


def show(value: Any) -> str:
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    """A number that is not NaN or infinite, and fits a float (JSON allows 400-digit integers)."""
    try:
        return is_number(value) and math.isfinite(value)
    except OverflowError:
        return False


def bad(where: str, value: Any, what: str) -> Invalid:
    return Invalid(f"the manifest's '{where}' is {show(value)}, {what}")


Context = dict  # the whole manifest, for rules that depend on another field


class Rule:
    """What one value may be; :meth:`check` raises :class:`Invalid` naming ``where``."""

    def check(self, value: Any, where: str, manifest: Context) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Rule):
    max_chars: int = MAX_NAME
    choices: tuple[str, ...] = ()
    empty: bool = True

    def check(self, value, where, manifest):
        if not isinstance(value, str):
            raise bad(where, value, "not text")
        if len(value) > self.max_chars:
            raise Invalid(f"the manifest's '{where}' is {len(value)} characters long (at most {self.max_chars})")
        if not self.empty and not value.strip():
            raise Invalid(f"the manifest's '{where}' is empty")
        if self.choices and value not in self.choices:
            raise bad(where, value, f"not one of {' | '.join(self.choices)}")


@dataclass(frozen=True)
class Integer(Rule):
    low: int
    high: int

    def check(self, value, where, manifest):
        if not is_int(value):
            raise bad(where, value, "not a whole number")
        if not self.low <= value <= self.high:
            raise bad(where, value, f"outside {self.low} .. {self.high}")


@dataclass(frozen=True)
class Number(Rule):
    finite: bool = True
    positive: bool = False

    def check(self, value, where, manifest):
        if not is_number(value):
            raise bad(where, value, "not a number")
        if self.finite and not is_finite(value):
            raise bad(where, value, "not a finite number")
        if self.positive and not value > 0:
            raise bad(where, value, "not above 0")


@dataclass(frozen=True)
class Flag(Rule):
    def check(self, value, where, manifest):
        if not isinstance(value, bool):
            raise bad(where, value, "not true or false")


@dataclass(frozen=True)
class Maybe(Rule):
    """``rule``, or JSON null."""

    rule: Rule

    def check(self, value, where, manifest):
        if value is not None:
            self.rule.check(value, where, manifest)


@dataclass(frozen=True)
class ListOf(Rule):
    item: Rule
    min_items: int = 0
    max_items: int = MAX_LIST
    unique: bool = False

    def check(self, value, where, manifest):
        if not isinstance(value, list):
            raise bad(where, value, "not a list")
        if not self.min_items <= len(value) <= self.max_items:
            raise Invalid(f"the manifest's '{where}' has {len(value)} items "
                          f"({self.min_items} .. {self.max_items} expected)")
        for i, item in enumerate(value):
            self.item.check(item, f"{where}[{i}]", manifest)
        if self.unique and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            raise Invalid(f"the manifest's '{where}' names the same item twice")


@dataclass(frozen=True)
class MapOf(Rule):
    """An object with free keys (``key``) and values of one rule."""

    value: Rule
    key: Text = Text()
    max_items: int = MAX_LIST

    def check(self, value, where, manifest):
        if not isinstance(value, dict):
            raise bad(where, value, "not a JSON object")
        if len(value) > self.max_items:
            raise Invalid(f"the manifest's '{where}' has {len(value)} entries (at most {self.max_items})")
        for k, v in value.items():
            try:
                self.key.check(k, where, manifest)
            except Invalid:
                raise Invalid(f"the manifest's '{where}' has an entry named {show(k)}, which does not belong "
                              "there") from None
            self.value.check(v, f"{where}['{k}']", manifest)


@dataclass(frozen=True)
class Record(Rule):
    """An object with named fields; ``optional`` lists those that may be absent (True: all).
    Keys the record does not name are refused, unless ``extra`` is a rule for them."""

    fields: dict[str, Rule]
    optional: tuple[str, ...] | bool = ()
    extra: Rule | None = None

    def check(self, value, where, manifest):
        if not isinstance(value, dict):
            raise bad(where or "manifest", value, "not a JSON object")
        prefix = f"{where}." if where else ""
        for key, rule in self.fields.items():
            if key in value:
                rule.check(value[key], prefix + key, manifest)
            elif not self._is_optional(key):
                raise Invalid(f"the manifest has no '{prefix}{key}'")
        for key in value:
            if key in self.fields:
                continue
            if self.extra is None:
                raise Invalid(f"the manifest has a field '{prefix}{key}' that its model format does not have")
            self.extra.check(value[key], prefix + key, manifest)

    def _is_optional(self, key: str) -> bool:
        return self.optional if isinstance(self.optional, bool) else key in self.optional


@dataclass(frozen=True)
class Const(Rule):
    value: Any

    def check(self, value, where, manifest):
        if value != self.value:
            raise bad(where, value, f"not {show(self.value)}")


@dataclass(frozen=True)
class AnyJson(Rule):
    """Free-form JSON, bounded in size and nesting."""

    max_bytes: int = 2**16
    max_depth: int = 6

    def check(self, value, where, manifest):
        def depth(v: Any, level: int) -> None:
            if level > self.max_depth:
                raise Invalid(f"the manifest's '{where}' is nested deeper than {self.max_depth} levels")
            if isinstance(v, dict):
                for item in v.values():
                    depth(item, level + 1)
            elif isinstance(v, list):
                for item in v:
                    depth(item, level + 1)

        depth(value, 1)
        if len(json.dumps(value)) > self.max_bytes:
            raise Invalid(f"the manifest's '{where}' is larger than {self.max_bytes} bytes")


_WANTED = {"int": "a whole number", "float": "a finite number", "bool": "true or false",
           "int_list": "a list of whole numbers", "str": "text"}


def check_setting(param: Param, value: Any, where: str) -> None:
    """A hyperparameter or setting from a file: its exact JSON type, then its range (the schema's own check)."""
    ok = {
        "int": is_int(value),
        "float": is_finite(value),
        "bool": isinstance(value, bool),
        "choice": isinstance(value, str) and value in param.choices,
        "int_list": isinstance(value, list) and len(value) <= MAX_LIST and all(is_int(v) for v in value),
        "str": isinstance(value, str) and len(value) <= MAX_TEXT,
    }[param.type]
    if not ok:
        wanted = f"not one of {' | '.join(param.choices)}" if param.type == "choice" else f"not {_WANTED[param.type]}"
        raise bad(where, value, wanted)
    try:
        param.parse(value)
    except MolStudioError:
        raise bad(where, value, f"outside {param.range_text()}") from None


@dataclass(frozen=True)
class Settings(Rule):
    """Values of a :class:`Schema` (hyperparameters, training settings, a featurizer's
    parameters); a setting the file leaves out takes its default. ``schema_of`` returns the
    schema and the words for its owner ("the 'mlp' architecture")."""

    schema_of: Callable[[Context], tuple[Schema, str]]
    skip: tuple[str, ...] = ()

    def check(self, value, where, manifest):
        if not isinstance(value, dict):
            raise bad(where, value, "not a JSON object")
        schema, owner = self.schema_of(manifest)
        for key, v in value.items():
            if key in self.skip:
                continue
            param = schema.get(key)
            if param is None:
                raise Invalid(f"the manifest's '{where}.{key}' is not a setting of {owner}")
            check_setting(param, v, f"{where}.{key}")
