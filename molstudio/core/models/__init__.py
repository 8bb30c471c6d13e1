"""Registry of network architectures.

Importing this package registers every built-in architecture. Each one is a
subclass of :class:`~molstudio.core.models.base.Architecture` in a module of its own.
"""

from molstudio.core.models.base import MODELS, Architecture, build_network
from molstudio.core.models import linear, mlp  # noqa: F401  (registration)
from molstudio.core.models import dmpnn, gnn  # noqa: F401  (registration)
from molstudio.core.models import smiles_cnn, smiles_rnn, smiles_transformer  # noqa: F401  (registration)

__all__ = ["MODELS", "Architecture", "build_network"]
