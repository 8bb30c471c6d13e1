"""MolStudio's engine: everything but the windows. Never imports Qt.

Grouped by the stage of the work, each stage importing only the ones listed after it
(the ``layers`` contract in ``pyproject.toml``, checked by ``lint-imports``):
``search`` and ``explain``, ``training``, ``trained``, ``uncertainty``, ``run``,
``architectures``, ``inputs``, ``featurize``, ``tables``; the modules at this level
(``errors``, ``params``, ``registry``, ``device``, ``atomic``, ``chem``, ``cancel``) serve
them all.
"""
