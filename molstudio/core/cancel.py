"""Cooperative cancelling: long loops call :func:`check` between steps of work.

The caller (the GUI's Stop button, Ctrl+C in the CLI) sets a ``threading.Event``; the
loop notices at its next :func:`check`, which raises :class:`Cancelled` for the
generator that owns the loop to turn into a clean "cancelled" outcome.
"""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside the loops when the user asked to stop."""


def check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled
