"""``molstudio-cli example``: write a built-in example dataset to a file."""

from __future__ import annotations

import argparse
from typing import Any

from molstudio.core.tables import write_example


def add_parser(sub: Any) -> None:
    e = sub.add_parser("example", help="write a built-in example dataset to a file")
    e.add_argument("name", help="tutorial | chembl_binding")
    e.add_argument("--out", required=True)


def run(args: argparse.Namespace) -> int:
    write_example(args.name, args.out)
    print(f"example '{args.name}' written to {args.out}")
    return 0
