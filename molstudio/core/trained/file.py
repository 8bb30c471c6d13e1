"""A trained model as ONE file: ``*.molstudio``.

The file is a zip holding ``manifest.json`` (everything needed to rebuild and to
judge the model: architecture, hyperparameters, features and their fitted scaling,
the fitted input description such as a SMILES vocabulary, targets, task, split and
seeds, metrics, library versions, creation time) and ``weights.safetensors`` (the
weights of each network — ``member0.*``, ``member1.*``… for an ensemble — feature
statistics and, for a model that reads structures, the training compounds' fingerprints
``domain.fingerprints`` for its applicability domain). Nothing is pickled: opening a
model file received from a colleague cannot run code.

A model file is data from outside. Opening one checks, in this order and before anything
is built, the file and its zip entries (:mod:`molstudio.core.trained.archive`), the manifest
against its schema (:mod:`molstudio.core.trained.manifest`), the weights against the
manifest (:func:`~molstudio.core.trained.archive.read_weights`), the fitted input description
against the features, and finally the weights against the network the manifest's
architecture, settings and features describe, built shape-only first so that a file
cannot make MolStudio allocate a network it does not hold the weights of. Each refusal is
one :class:`MolStudioError` naming the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import save as st_save

import molstudio
from molstudio.core.architectures import MODELS, build_network
from molstudio.core.atomic import atomic_path
from molstudio.core.errors import MolStudioError
from molstudio.core.inputs import ModelInputs, make_inputs
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.archive import (
    MANIFEST,
    WEIGHTS,
    damaged,
    read_entries,
    read_weights,
)
from molstudio.core.trained.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MAX_MEMBERS,
    describe_features,
    upgrade_weight_name,
    validate,
)
from molstudio.core.trained.model import TrainedModel
from molstudio.core.uncertainty.domain import TENSOR as DOMAIN_TENSOR
from molstudio.core.uncertainty.domain import Domain
from molstudio.core.uncertainty.intervals import Calibration

__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_MEMBERS", "load_model", "read_manifest", "save_model"]


def save_model(model: TrainedModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (atomically) and return the path."""
    path = Path(path)
    tensors = {
        f"member{i}.{k}": v.detach().cpu().float().numpy().copy() if v.is_floating_point()
        else v.detach().cpu().numpy().copy()
        for i, network in enumerate(model.networks)
        for k, v in network.state_dict().items()
    }
    tensors.update(model.inputs.state())
    if model.domain is not None:
        tensors[DOMAIN_TENSOR] = model.domain.fingerprints
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "architecture": model.config.model,
        "hparams": model.config.resolved_hparams(),
        "config": model.config.to_dict(),
        "task": model.task,
        "targets": model.targets,
        "classes": model.classes,
        "features": model.inputs.pipeline.specs,
        "inputs": model.inputs.manifest(),
        "members": len(model.networks),
        "target_mean": [float(v) for v in model.y_mean],
        "target_std": [float(v) for v in model.y_std],
        "metrics": model.metrics,
        "info": model.info,
        **({"domain": model.domain.manifest()} if model.domain is not None else {}),
        **({"uncertainty": model.calibration.manifest()} if model.calibration is not None else {}),
        **({"class_share": [float(v) for v in model.class_share]} if model.class_share is not None else {}),
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in tensors.items()},
    }
    weights = st_save(tensors)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2, default=_json_default))
            zf.writestr(WEIGHTS, weights)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


def _versions() -> dict[str, str]:
    import rdkit

    return {
        "molstudio": molstudio.__version__,
        "torch": torch.__version__,
        "rdkit": rdkit.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a model file (format 1 upgraded), after every check :func:`load_model`
    makes: a file that could not be opened as a model is refused here too."""
    return _open(Path(path))[0]


def load_model(path: str | Path) -> TrainedModel:
    """Rebuild a trained model from a ``.molstudio`` file, checking everything it declares."""
    return _open(Path(path))[1]


def _open(path: Path) -> tuple[dict[str, Any], TrainedModel]:
    raw, blob = read_entries(path)
    manifest = validate(raw, path.name)
    legacy = raw["format_version"] == 1  # validate() upgraded the manifest; the weights' names follow
    tensors = read_weights(blob, manifest["tensors"], path.name, upgrade_weight_name if legacy else None)
    try:
        config = RunConfig.from_dict(manifest["config"])
    except (MolStudioError, ValueError, TypeError) as exc:
        raise damaged(path.name, f"its run configuration cannot be used ({exc})") from None
    arch = MODELS.get(manifest["architecture"])
    inputs = make_inputs(arch.input_kind, manifest["features"], manifest["hparams"])
    try:
        inputs.load(manifest["inputs"], tensors)
        dims = inputs.dims()
    except (KeyError, ValueError, TypeError, IndexError, MolStudioError) as exc:
        raise damaged(path.name, f"its input description cannot be used ({exc})") from None
    unowned = [k for k in tensors if k != DOMAIN_TENSOR and not k.startswith(("member", *inputs.state_prefixes()))]
    if unowned:
        raise damaged(path.name, f"it holds the weight '{unowned[0]}', which belongs to no network")
    networks = [_network(manifest, inputs, dims, tensors, i, path.name) for i in range(manifest["members"])]
    model = TrainedModel(
        config=config,
        task=manifest["task"],
        inputs=inputs,
        networks=networks,
        y_mean=np.asarray(manifest["target_mean"], np.float32),
        y_std=np.asarray(manifest["target_std"], np.float32),
        classes=manifest.get("classes"),
        metrics=manifest.get("metrics", {}),
        info={**manifest.get("info", {}), "created": manifest.get("created"),
              "versions": manifest.get("versions", {})},
        domain=Domain.from_manifest(manifest["domain"], tensors[DOMAIN_TENSOR]) if "domain" in manifest else None,
        calibration=Calibration.from_manifest(manifest["uncertainty"]) if "uncertainty" in manifest else None,
        class_share=np.asarray(manifest["class_share"], np.float32) if "class_share" in manifest else None,
    )
    return manifest, model


def _network(manifest: dict[str, Any], inputs: ModelInputs, dims: dict[str, int],
             tensors: dict[str, np.ndarray], member: int, name: str) -> torch.nn.Module:
    """Member ``member``'s network with its weights, after checking they fit it exactly.

    The network is first built on the meta device (shapes only, no memory), so settings
    that describe a huge network are refused without allocating it.
    """
    arch, n_out = manifest["architecture"], len(manifest["targets"])
    try:
        with torch.device("meta"):
            expected = build_network(arch, manifest["hparams"], dims, n_out).state_dict()
    except (MolStudioError, AssertionError, ValueError, TypeError, RuntimeError) as exc:
        why = exc.message if isinstance(exc, MolStudioError) else str(exc)
        raise damaged(name, f"its settings describe a network that cannot be built ({why})") from None
    prefix = f"member{member}."
    own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    unfit = "its weights do not fit the architecture it declares"
    missing = [k for k in expected if k not in own]
    if missing:
        raise damaged(name, f"{unfit}: the weight '{prefix}{missing[0]}' is missing")
    extra = [k for k in own if k not in expected]
    if extra:
        raise damaged(name, f"{unfit}: the '{arch}' network has no weight '{prefix}{extra[0]}'")
    for key, want in expected.items():
        have = own[key]
        if tuple(want.shape) != have.shape:
            raise damaged(name, (
                f"{unfit}: the weight '{prefix}{key}' has shape {list(have.shape)}, but the '{arch}' network "
                f"with its settings and its features ({describe_features(manifest['features'])}: "
                f"{len(inputs.pipeline.feature_names())} values per compound) needs {list(want.shape)}"))
        if str(want.dtype).removeprefix("torch.") != str(have.dtype):
            raise damaged(name, f"{unfit}: the weight '{prefix}{key}' is stored as {have.dtype}, the network "
                                f"needs {str(want.dtype).removeprefix('torch.')}")
    network = build_network(arch, manifest["hparams"], dims, n_out)
    network.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in own.items()})
    return network.eval()
