"""Guard against a reference-counting bug of PySide6 6.12 on Python 3.10 / 3.11.

PySide6 6.12 (a ``cp310-abi3`` wheel) returns ``None`` (and ``True``/``False``)
from wrapped C++ methods without taking a reference, as if these objects were
immortal, which they are only from Python 3.12 on (PEP 683). On 3.11 every
``widget.update()`` or ``processEvents()`` then lowers ``None``'s reference count by
one, and after a few thousand calls Python aborts with "none_dealloc: deallocating
None". Giving the three singletons a huge reference count makes them as immortal
as on 3.12, which is all the bug assumes. Importing this module applies the guard
once; on 3.12 and later it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def _applies() -> bool:
    return (
        sys.version_info < (3, 12)
        and sys.implementation.name == "cpython"
        and not hasattr(sys, "getobjects")  # Py_TRACE_REFS builds put other fields first
    )


def immortalize_singletons() -> bool:
    """Raise the reference counts of None, True and False far out of reach; returns whether it did."""
    if not _applies() or getattr(sys, "_molstudio_singletons_guarded", False):
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    sys._molstudio_singletons_guarded = True  # type: ignore[attr-defined]
    return True


immortalize_singletons()
