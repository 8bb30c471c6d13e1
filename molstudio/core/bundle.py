"""A trained model as ONE file: ``*.molstudio``.

The file is a zip holding ``manifest.json`` (everything needed to rebuild and to
judge the model: architecture, hyperparameters, features and their fitted scaling,
the fitted input description such as a SMILES vocabulary, targets, task, split and
seeds, metrics, library versions, creation time) and ``weights.safetensors`` (the
weights of each network — ``member0.*``, ``member1.*``… for an ensemble — and feature
statistics). Nothing is pickled:
opening a model file received from a colleague cannot run code. Every entry, size
and tensor shape is checked before use.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import platform
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import molstudio
from molstudio.core.atomic import atomic_path
from molstudio.core.config import RunConfig
from molstudio.core.errors import MolStudioError
from molstudio.core.inputs import make_inputs
from molstudio.core.models import MODELS, build_network
from molstudio.core.trained import TrainedModel

FORMAT = "molstudio-model"
FORMAT_VERSION = 2
MAX_MEMBERS = 100
MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
MAX_MANIFEST_BYTES = 50 * 2**20
MAX_WEIGHTS_BYTES = 4 * 2**30
MAX_RATIO = 200  # uncompressed/compressed; more than this smells of a zip bomb

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "format_version": int,
    "architecture": str,
    "hparams": dict,
    "config": dict,
    "task": str,
    "targets": list,
    "features": list,
    "target_mean": list,
    "target_std": list,
    "inputs": dict,
    "members": int,
    "tensors": dict,
}


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
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
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
    """The validated manifest of a model file, without building the network."""
    manifest, _ = _read_entries(Path(path), weights=False)
    return manifest


def load_model(path: str | Path) -> TrainedModel:
    """Rebuild a trained model from a ``.molstudio`` file, checking everything it declares."""
    path = Path(path)
    manifest, blob = _read_entries(path, weights=True)
    try:
        tensors = st_load(blob)
    except Exception:
        raise _damaged(path, "its weights cannot be read") from None
    declared = manifest["tensors"]
    if set(declared) != set(tensors):
        raise _damaged(path, "its weights do not match its manifest")
    for name, arr in tensors.items():
        if list(arr.shape) != list(declared[name].get("shape", [])):
            raise _damaged(path, f"the weight '{name}' has shape {list(arr.shape)}, "
                                 f"the manifest says {declared[name].get('shape')}")
    config = RunConfig.from_dict(manifest["config"])
    arch = MODELS.get(manifest["architecture"])
    if manifest["inputs"].get("kind") != arch.input_kind:
        raise _damaged(path, "its input description does not match its architecture")
    inputs = make_inputs(arch.input_kind, manifest["features"], manifest["hparams"])
    try:
        inputs.load(manifest["inputs"], tensors)
        dims = inputs.dims()
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise _damaged(path, f"its input description cannot be used ({exc})") from None
    n_out = len(manifest["targets"])
    networks = []
    for i in range(manifest["members"]):
        network = build_network(manifest["architecture"], manifest["hparams"], dims, n_out)
        prefix = f"member{i}."
        state = network.state_dict()
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if set(own) != set(state) or any(tuple(state[k].shape) != v.shape for k, v in own.items()):
            raise _damaged(path, "its weights do not fit the architecture it declares")
        network.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in own.items()})
        network.eval()
        networks.append(network)
    known = {f"member{i}." for i in range(manifest["members"])}
    if any(k.split(".", 1)[0] + "." not in known and not k.startswith(inputs.state_prefixes()) for k in tensors):
        raise _damaged(path, "it holds weights that belong to no network")
    return TrainedModel(
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
    )


def _damaged(path: Path, why: str) -> MolStudioError:
    return MolStudioError(
        f"The model file {path.name} is damaged or was altered: {why}.",
        hint="Ask for a fresh copy of the file, or train the model again.",
    )


def _read_entries(path: Path, weights: bool) -> tuple[dict[str, Any], bytes]:
    if not path.exists():
        raise MolStudioError(f"The model file {path} does not exist.")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise MolStudioError(
            f"{path.name} is not a MolStudio model file (it is not a .molstudio archive, or it is truncated)."
        ) from None
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        unexpected = [n for n in infos if n not in (MANIFEST, WEIGHTS)]
        if unexpected or MANIFEST not in infos or WEIGHTS not in infos:
            raise MolStudioError(
                f"{path.name} is not a MolStudio model file: it holds {sorted(infos) or 'nothing'} "
                f"instead of {MANIFEST} and {WEIGHTS}."
            )
        for name, limit in ((MANIFEST, MAX_MANIFEST_BYTES), (WEIGHTS, MAX_WEIGHTS_BYTES)):
            info = infos[name]
            if info.file_size > limit or info.file_size > MAX_RATIO * max(info.compress_size, 1) + 2**20:
                raise _damaged(path, f"the entry {name} declares an implausible size")
        manifest_bytes = _read_bounded(zf, infos[MANIFEST], MAX_MANIFEST_BYTES, path)
        blob = _read_bounded(zf, infos[WEIGHTS], MAX_WEIGHTS_BYTES, path) if weights else b""
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _damaged(path, "its manifest is not valid JSON") from None
    _validate(manifest, path)
    return manifest, blob


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: Path) -> bytes:
    buf = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                buf.write(chunk)
                if buf.tell() > min(limit, info.file_size):
                    raise _damaged(path, f"the entry {info.filename} is larger than declared")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _damaged(path, f"the entry {info.filename} cannot be read ({exc})") from None
    return buf.getvalue()


def _validate(manifest: Any, path: Path) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise MolStudioError(f"{path.name} is not a MolStudio model file (its manifest has another format).")
    for key, kind in _REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise _damaged(path, f"the manifest's '{key}' is missing or of the wrong type")
    version = manifest["format_version"]
    if version > FORMAT_VERSION or version < 1:
        raise MolStudioError(
            f"{path.name} was written by a MolStudio with model format {version}; this version reads "
            f"format {FORMAT_VERSION}.",
            hint="Update MolStudio to open this model.",
        )
    if manifest["architecture"] not in MODELS:
        raise MolStudioError(
            f"{path.name} uses the architecture '{manifest['architecture']}', which this MolStudio does not have.",
            hint="Update MolStudio to open this model.",
        )
    if manifest["task"] not in ("regression", "classification"):
        raise _damaged(path, f"unknown task '{manifest['task']}'")
    if not 1 <= manifest["members"] <= MAX_MEMBERS:
        raise _damaged(path, f"it declares {manifest['members']} networks")
    n = len(manifest["targets"])
    if n == 0 or len(manifest["target_mean"]) != n or len(manifest["target_std"]) != n:
        raise _damaged(path, "the target description is inconsistent")
    for name, spec in manifest["tensors"].items():
        shape = spec.get("shape") if isinstance(spec, dict) else None
        if not isinstance(shape, list) or not all(isinstance(d, int) and 0 <= d < 2**31 for d in shape):
            raise _damaged(path, f"the tensor '{name}' has no valid shape")
