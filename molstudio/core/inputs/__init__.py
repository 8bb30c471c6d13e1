"""What a network reads, per architecture family: feature vectors, molecular graphs or
SMILES tokens. Importing this package registers every built-in kind."""

from molstudio.core.inputs import (
    graph,  # noqa: F401  (registration)
    tokens,  # noqa: F401  (registration)
    vector,  # noqa: F401  (registration)
)
from molstudio.core.inputs.base import INPUTS, ModelInputs, make_inputs

__all__ = ["INPUTS", "ModelInputs", "make_inputs"]
