"""``molstudio-cli``: the engine from a terminal, driven by arguments or a config file.

One module per command (``train``, ``predict``, ...), each with ``add_parser`` and ``run``.
Every problem is reported as one clear line and a non-zero exit status; set
``MOLSTUDIO_DEBUG=1`` to see the Python traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from molstudio.cli import (
    example,
    explain,
    importance,
    info,
    learning_curve,
    models,
    predict,
    train,
    tune,
)
from molstudio.core.errors import MolStudioError

EXIT_ERROR = 2
EXIT_INTERNAL = 3

#: the sub-commands in the order ``--help`` lists them
COMMANDS = {
    "train": train,
    "learning-curve": learning_curve,
    "tune": tune,
    "predict": predict,
    "explain": explain,
    "importance": importance,
    "info": info,
    "models": models,
    "example": example,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molstudio-cli", description="Train and use MolStudio models from a terminal.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "threads", None):
            import torch

            torch.set_num_threads(args.threads)
        return int(COMMANDS[args.command].run(args))
    except MolStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: one line, not a traceback, unless debugging
        if os.environ.get("MOLSTUDIO_DEBUG"):
            raise
        print(f"internal error ({type(exc).__name__}): {exc}. Set MOLSTUDIO_DEBUG=1 for details.",
              file=sys.stderr)
        return EXIT_INTERNAL
