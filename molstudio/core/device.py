"""Choosing where tensors live: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import os

import torch

from molstudio.core.errors import MolStudioError


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says that the GPU (or the computer) ran out of memory: the one test,
    used by training (to retry smaller) and by the app (to say so)."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def out_of_memory_message(exc: BaseException) -> str:
    """What to tell the user when ``exc`` (see :func:`out_of_memory`) ended a job."""
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Try a smaller batch size or a smaller table."
    return "The GPU ran out of memory. Lower the batch size or choose the CPU."


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise MolStudioError(
                "No CUDA GPU is available on this computer.",
                hint="Choose device 'auto' or 'cpu'.",
            )
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise MolStudioError(f"There is no GPU number {dev.index} on this computer.")
        return dev
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise MolStudioError("Apple's MPS GPU backend is not available on this computer.")
        return torch.device("mps")
    raise MolStudioError(f"Unknown device '{name}'.", hint="Use auto, cpu, cuda, cuda:N or mps.")


def available_devices() -> list[tuple[str, str]]:
    """(value, label) pairs for a device chooser: auto, cpu, each CUDA GPU by name."""
    out = [("auto", "Automatic (GPU if available)"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"GPU {i}: {torch.cuda.get_device_name(i)}"))
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        out.append(("mps", "Apple GPU (MPS)"))
    return out


def background_threads() -> int:
    """Torch threads for background training that leave one core to the GUI."""
    return max(1, (os.cpu_count() or 2) - 1)
