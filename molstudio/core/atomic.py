"""Atomic file writing: a temporary file in the target folder, then ``os.replace``.

A crash, a full disk or a read-only folder never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from molstudio.core.errors import MolStudioError

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}  # a full disk, or the user's quota spent
# mkstemp creates files readable by the owner only; saved files get the usual permissions.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path, forbid: str | Path | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    ``forbid`` is a file that must never be overwritten (the input file of a prediction).
    """
    path = Path(path)
    if forbid is not None and _same_file(path, Path(forbid)):
        raise MolStudioError(
            f"Refusing to overwrite the input file {path}.",
            hint="Choose another name for the output file.",
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise MolStudioError(f"The folder {folder} does not exist.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, (path.stat().st_mode & 0o777) if path.exists() else (0o666 & ~_UMASK))
    except OSError:
        pass
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise _cannot_write(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes, forbid: str | Path | None = None) -> None:
    with atomic_path(path, forbid) as tmp:
        tmp.write_bytes(data)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _remove(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass  # the error being reported matters more than a leftover temporary file


def _cannot_write(path: Path, exc: OSError) -> MolStudioError:
    """The file named, the reason in plain words, and what to do."""
    if exc.errno in _FULL:
        return MolStudioError(f"Could not write {path}: the disk is full.",
                              hint="Free some space on the disk or save to another drive; nothing was changed.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return MolStudioError(
            f"Could not write {path}: the folder is read-only or protected (permission denied).",
            hint="Choose another folder, for example your Documents folder; nothing was changed.")
    return MolStudioError(f"Could not write {path}: {exc.strerror or exc}.")
