"""GUI tests get the shared GUI fixtures (private settings, leak checks, the main window)."""

from gui_fixtures import *  # noqa: F401,F403
