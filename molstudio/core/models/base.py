"""What every architecture declares: a name, a one-line description, the kind of
input it reads and a hyperparameter schema; and how to build its network."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from molstudio.core.params import Schema
from molstudio.core.registry import Registry


class Architecture:
    """Base class of registered architectures.

    ``input_kind`` says what the network reads: ``"vector"`` (a feature matrix from the
    featurizer pipeline). Graph and token inputs are added by their architectures.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    input_kind: ClassVar[str] = "vector"
    schema: ClassVar[Schema] = Schema()

    @classmethod
    def build(cls, hparams: dict[str, Any], n_inputs: int, n_outputs: int) -> nn.Module:
        raise NotImplementedError


MODELS: Registry[Architecture] = Registry("architecture")


def build_network(name: str, hparams: dict[str, Any], n_inputs: int, n_outputs: int) -> nn.Module:
    """Build the network of architecture ``name`` from (already resolved) hyperparameters."""
    arch = MODELS.get(name)
    return arch.build(arch.schema.resolve(hparams), n_inputs, n_outputs)
