"""Shared test set-up: tests never need a display (Qt renders off screen)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
