"""Registry of network architectures.

Importing this package registers every built-in architecture. Each one is a
subclass of :class:`~molstudio.core.architectures.base.Architecture` in a module of its own.
"""

from molstudio.core.architectures import (  # noqa: F401  (registration)  # noqa: F401  (registration)  # noqa: F401  (registration)
    dmpnn,
    gnn,
    linear,
    mlp,
    smiles_cnn,
    smiles_rnn,
    smiles_transformer,
)
from molstudio.core.architectures.base import MODELS, Architecture, build_network

__all__ = ["MODELS", "Architecture", "build_network"]
