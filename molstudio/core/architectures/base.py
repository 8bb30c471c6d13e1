"""What every architecture declares: a name, a one-line description, the kind of
input it reads and a hyperparameter schema; and how to build its network."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from molstudio.core.params import Schema
from molstudio.core.registry import Registry


class Architecture:
    """Base class of registered architectures.

    ``input_kind`` names the :mod:`molstudio.core.inputs` kind the network reads:
    ``"vector"`` (feature matrix), ``"graph"`` (molecular graphs) or ``"tokens"``
    (SMILES tokens). ``build`` receives that input's ``dims()``.
    ``default_features`` are the molecule-level features used when the run names
    none (graph and sequence models read the structure itself and need none);
    ``training_defaults`` override TRAINING_SCHEMA's defaults (epochs, lr, ...).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    input_kind: ClassVar[str] = "vector"
    default_features: ClassVar[tuple[str, ...]] = ()
    #: training settings that differ from TRAINING_SCHEMA's defaults for this architecture
    training_defaults: ClassVar[dict[str, Any]] = {}
    schema: ClassVar[Schema] = Schema()

    @classmethod
    def build(cls, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
        raise NotImplementedError


MODELS: Registry[Architecture] = Registry("architecture")


def build_network(name: str, hparams: dict[str, Any], dims: dict[str, int], n_outputs: int) -> nn.Module:
    """Build the network of architecture ``name`` from (already resolved) hyperparameters."""
    arch = MODELS.get(name)
    return arch.build(arch.schema.resolve(hparams), dims, n_outputs)
