"""Autosave: the best model of a running training, kept on disk as a normal model file.

:func:`molstudio.core.training.loop.train` hands an :class:`Autosaver` the model to keep
when the best model so far has changed and the last write is at least
:data:`AUTOSAVE_SECONDS` old, at the end of every ensemble member, and when the run
ends, is stopped or fails. The model is written by :func:`~molstudio.core.trained.file.save_model`
(atomically: a crash never leaves half a file), then a small JSON sidecar
(``<file>.json``) says what it holds: architecture, targets, the epoch and loss of the
saved model, how the run stood, when it was saved, plus the caller's own details (the
GUI adds the data file and the start time). :func:`find_autosaves` lists what
interrupted runs left in a folder; :func:`remove_autosave` deletes one.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from molstudio.core.atomic import atomic_write_bytes
from molstudio.core.errors import MolStudioError
from molstudio.core.trained.file import save_model

if TYPE_CHECKING:
    from molstudio.core.trained.model import TrainedModel

AUTOSAVE_SECONDS = 20.0
SIDECAR_SUFFIX = ".json"
MODEL_SUFFIX = ".molstudio"
MAX_SIDECAR_BYTES = 1 << 20


def sidecar_path(path: str | Path) -> Path:
    """The JSON file describing the autosaved model ``path``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


class Autosaver:
    """Writes a running training's best model to ``path`` (and its sidecar), at most every ``interval`` s.

    ``details`` go into the sidecar as they are (JSON values). A write that fails (a full
    disk) never stops the training: :attr:`problem` says what went wrong, for the run's
    warnings.
    """

    def __init__(self, path: str | Path, details: dict[str, Any] | None = None,
                 interval: float = AUTOSAVE_SECONDS) -> None:
        self.path = Path(path)
        self.details = dict(details or {})
        self.interval = interval
        self.problem: str | None = None
        self.saves = 0
        self.seconds = 0.0  # spent writing, for the cost figures
        self._last = -math.inf

    def due(self) -> bool:
        """Whether the last write is old enough for another."""
        return time.monotonic() - self._last >= self.interval

    def save(self, model: TrainedModel, progress: dict[str, Any]) -> bool:
        """Write ``model`` and then the sidecar (``details`` + ``progress``); whether it worked."""
        started = time.perf_counter()
        try:
            save_model(model, self.path)
            info = {
                **self.details,
                "architecture": model.config.model,
                "targets": list(model.targets),
                "task": model.task,
                "members_saved": len(model.networks),
                **progress,
                "saved": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
            atomic_write_bytes(sidecar_path(self.path), json.dumps(info, indent=1, default=str).encode())
        except (MolStudioError, OSError) as exc:
            self.problem = f"The best model so far could not be autosaved. {exc}"
            return False
        finally:
            self._last = time.monotonic()
            self.seconds += time.perf_counter() - started
        self.saves += 1
        self.problem = None
        return True


@dataclass(frozen=True)
class Autosave:
    """An autosaved model file and what its sidecar says about it."""

    path: Path
    info: dict[str, Any]


def read_autosave(path: str | Path) -> Autosave | None:
    """The autosave ``path`` with its sidecar, or None when either is missing or unreadable."""
    path = Path(path)
    side = sidecar_path(path)
    try:
        if not path.is_file() or side.stat().st_size > MAX_SIDECAR_BYTES:
            return None
        info = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Autosave(path, info) if isinstance(info, dict) else None


def find_autosaves(folder: str | Path) -> list[Autosave]:
    """Every complete autosave (model file and sidecar) in ``folder``, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [a for p in folder.glob(f"*{MODEL_SUFFIX}") if (a := read_autosave(p)) is not None]
    return sorted(found, key=lambda a: str(a.info.get("saved", "")), reverse=True)


def remove_autosave(path: str | Path) -> None:
    """Delete the autosave ``path`` and its sidecar (what is already gone is fine)."""
    for file in (Path(path), sidecar_path(path)):
        try:
            file.unlink(missing_ok=True)
        except OSError:
            pass  # a file that cannot be deleted is offered again next time, nothing worse
