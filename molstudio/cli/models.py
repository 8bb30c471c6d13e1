"""``molstudio-cli models``: every architecture with its hyperparameters, and the training settings."""

from __future__ import annotations

import argparse
import json
from typing import Any

from molstudio.core.architectures import MODELS
from molstudio.core.params import Schema
from molstudio.core.run import TRAINING_SCHEMA


def add_parser(sub: Any) -> None:
    m = sub.add_parser("models", help="list the architectures and their hyperparameters")
    m.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
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


def _print_params(schema: Schema) -> None:
    params = list(schema)
    if not params:
        print("    (no hyperparameters)")
    width = max([14] + [len(p.name) for p in params])
    span = max([28] + [len(p.range_text()) for p in params])
    for p in params:
        default = ",".join(map(str, p.default)) if isinstance(p.default, list) else p.default
        print(f"    {p.name:<{width}} {p.type:<9} default {str(default):<10} {p.range_text():<{span}}  {p.help}")
