"""The one error type of MolStudio.

Every problem a user can cause or meet (a bad file, a missing column, a model
file from another version, a loss that became NaN) is raised as a
:class:`MolStudioError` whose message is written for a chemist, not a
programmer. The GUI shows it in a dialog, the CLI prints it and exits non-zero.
"""

from __future__ import annotations


class MolStudioError(Exception):
    """A problem explained in words a chemist understands.

    Parameters
    ----------
    message
        What went wrong, naming the file, row or column concerned.
    hint
        Optional advice on how to fix it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message
