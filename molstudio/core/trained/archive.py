"""The bytes of a ``.molstudio`` file: a zip with ``manifest.json`` and ``weights.safetensors``.

Reading checks, before anything is parsed further: the file itself (not empty, not a
pickle, a complete zip whose table of contents is small, read from its end record before
the zip library parses it); its entries (exactly the two above, safe names, none twice,
none encrypted, a known compression, sizes bounded and expansion ratios that are not a
zip bomb; each read no further than it declares); and the weights' own header against
the manifest (names, dtypes, shapes, byte ranges inside the data and not overlapping) and
their values (finite). Nothing is extracted to disk and nothing is unpickled. Each
refusal is one :class:`MolStudioError` naming the file.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load

from molstudio.core.errors import MolStudioError

MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
MAX_MANIFEST_BYTES = 50 * 2**20
MAX_HEADER_BYTES = 16 * 2**20  # the weights' own (JSON) header
MAX_WEIGHT_BYTES = 4 * 2**30  # the tensors' data
MAX_WEIGHTS_BYTES = MAX_WEIGHT_BYTES + MAX_HEADER_BYTES + 8
MAX_FILE_BYTES = MAX_WEIGHTS_BYTES + MAX_MANIFEST_BYTES + 2**20
MAX_RATIO = 200  # uncompressed/compressed; more than this smells of a zip bomb
MAX_ENTRIES = 1000  # read from the end record before the zip's table of contents is parsed
MAX_DIRECTORY_BYTES = 2**20
_END_RECORD = b"PK\x05\x06"
#: safetensors' dtype codes and the numpy dtypes they load as
_ST_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
              "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
              "U8": "uint8", "BOOL": "bool"}
_ST_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
             "U16": 2, "U8": 1, "BOOL": 1}
_NEVER_PICKLES = ("MolStudio never opens pickles (torch.save files): opening one can run any program "
                  "on your computer")


def damaged(name: str, why: str) -> MolStudioError:
    """The one refusal of a model file that is damaged or was altered."""
    return MolStudioError(
        f"The model file {name} is damaged or was altered: {why}.",
        hint="Ask for a fresh copy of the file, or train the model again.",
    )


# ---- the file and its zip entries ------------------------------------------------------------
def read_entries(path: Path) -> tuple[Any, bytes]:
    """The manifest (parsed JSON, not yet validated) and the weights' bytes of the model file."""
    _check_file(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _incomplete(path.name) from None
    with zf:
        infos = zf.infolist()
        _check_entries(infos, path.name)
        by_name = {i.filename: i for i in infos}
        manifest_bytes = _read_bounded(zf, by_name[MANIFEST], MAX_MANIFEST_BYTES, path.name)
        blob = _read_bounded(zf, by_name[WEIGHTS], MAX_WEIGHTS_BYTES, path.name)
    try:
        raw = json.loads(manifest_bytes.decode("utf-8"))
    except (ValueError, RecursionError):  # ValueError: not UTF-8, not JSON, an integer of 5000 digits
        raise damaged(path.name, "its manifest is not valid JSON") from None
    return raw, blob


def _incomplete(name: str) -> MolStudioError:
    return MolStudioError(
        f"{name} is incomplete or damaged: it ends too early or its contents cannot be read as a "
        "MolStudio model file.",
        hint="Copy the file again (a download or copy may have been cut short), or ask for a fresh copy.",
    )


def _check_file(path: Path) -> None:
    """What can be told from the file's size, its first bytes and its zip end record."""
    if not path.exists():
        raise MolStudioError(f"The model file {path} does not exist.")
    if path.is_dir():
        raise MolStudioError(f"{path.name} is a folder, not a MolStudio model file.")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(max(0, size - (2**16 + 22)))
            tail = fh.read()
    except OSError as exc:
        raise MolStudioError(f"The model file {path.name} could not be read: {exc.strerror or exc}.") from None
    if size == 0:
        raise MolStudioError(f"{path.name} is empty (0 bytes): it is not a MolStudio model file, or it was "
                             "not copied completely.")
    if size > MAX_FILE_BYTES:
        raise MolStudioError(f"{path.name} is {size / 2**30:.1f} GB, larger than any MolStudio model file.")
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        raise MolStudioError(f"{path.name} is a Python pickle, not a MolStudio model file. {_NEVER_PICKLES}.",
                             hint="Ask for the model as a .molstudio file saved by MolStudio.")
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise MolStudioError(f"{path.name} is not a MolStudio model file (it is not a .molstudio archive).")
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) < at + 22:
        raise _incomplete(path.name)
    entries = int.from_bytes(tail[at + 10: at + 12], "little")
    directory = int.from_bytes(tail[at + 12: at + 16], "little")
    if entries == 0xFFFF or directory == 0xFFFFFFFF:  # the true figures are in the zip64 end record
        entries, directory = _zip64_counts(path, tail[max(0, at - 20): at])
    if entries > MAX_ENTRIES:
        raise damaged(path.name, f"it holds {entries} entries instead of {MANIFEST} and {WEIGHTS}")
    if directory > MAX_DIRECTORY_BYTES:
        raise damaged(path.name, f"its table of contents is {directory} bytes long, far more than two entries need")


def _zip64_counts(path: Path, locator: bytes) -> tuple[int, int]:
    """Entry count and directory size from the zip64 end record that ``locator`` points to."""
    if len(locator) != 20 or locator[:4] != b"PK\x06\x07":
        raise _incomplete(path.name)
    with path.open("rb") as fh:
        fh.seek(int.from_bytes(locator[8:16], "little"))
        record = fh.read(56)
    if len(record) != 56 or record[:4] != b"PK\x06\x06":
        raise _incomplete(path.name)
    return int.from_bytes(record[32:40], "little"), int.from_bytes(record[40:48], "little")


def _unsafe(name: str) -> bool:
    """An entry name that would point outside a folder it were extracted into."""
    return (not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name
            or re.match(r"[A-Za-z]:", name) is not None or ".." in name.split("/"))


def _check_entries(infos: list[zipfile.ZipInfo], name: str) -> None:
    if len(infos) > MAX_ENTRIES:
        raise damaged(name, f"it holds {len(infos)} entries instead of {MANIFEST} and {WEIGHTS}")
    for info in infos:
        for entry in {info.filename, info.orig_filename}:
            if _unsafe(entry):
                raise damaged(name, f"it holds an entry with an unsafe name ({entry[:80]!r}), one that points "
                                    "outside the archive")
    twice = [n for n, count in Counter(i.filename for i in infos).items() if count > 1]
    if twice:
        raise damaged(name, f"it holds the entry '{twice[0][:80]}' twice")
    names = {i.filename for i in infos}
    if names != {MANIFEST, WEIGHTS}:
        raise MolStudioError(f"{name} is not a MolStudio model file: {_foreign(names)}.",
                             hint="A model file is what MolStudio's Save Model or 'molstudio-cli train' writes.")
    for info in infos:
        entry = info.filename
        if info.flag_bits & 0x1:
            raise damaged(name, f"its entry {entry} is encrypted (password-protected)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged(name, f"its entry {entry} is compressed in a way MolStudio does not read")
        limit = MAX_MANIFEST_BYTES if entry == MANIFEST else MAX_WEIGHTS_BYTES
        if info.file_size > limit:
            raise damaged(name, f"the entry {entry} declares {info.file_size} bytes (at most {limit})")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 2**20:
            raise damaged(name, f"the entry {entry} would expand {info.file_size // max(info.compress_size, 1)} "
                                "times (a zip bomb)")


def _foreign(names: set[str]) -> str:
    """What a zip that is not a model file seems to be, for the refusal."""
    listed = sorted(names)
    if any(n.endswith((".pkl", "/data.pkl")) for n in listed):
        return f"it is a PyTorch file (torch.save), which holds a pickle. {_NEVER_PICKLES}"
    if "[Content_Types].xml" in names:
        return "it is an Office document (an Excel workbook or a Word file, perhaps) with another name"
    if not listed:
        return "it is an empty zip archive"
    shown = ", ".join(repr(n[:80]) for n in listed[:3]) + (f" and {len(listed) - 3} more" if len(listed) > 3 else "")
    return f"it holds {shown} instead of {MANIFEST} and {WEIGHTS}"


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    buf = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                buf.write(chunk)
                if buf.tell() > min(limit, info.file_size):
                    raise damaged(name, f"the entry {info.filename} is larger than it declares")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, RuntimeError, NotImplementedError):
        raise damaged(name, f"the entry {info.filename} cannot be read (it is truncated or corrupted)") from None
    if buf.tell() != info.file_size:
        raise damaged(name, f"the entry {info.filename} is shorter than it declares")
    return buf.getvalue()


# ---- the weights ----------------------------------------------------------------------------
def read_weights(blob: bytes, declared: dict[str, Any], name: str,
                 rename: Callable[[str], str] | None = None) -> dict[str, np.ndarray]:
    """The weights, after their header was checked against ``declared`` (the manifest's
    'tensors': name -> shape and dtype); every value finite. ``rename`` maps the names of an
    older format to the declared ones."""
    header = _weights_header(blob, name)
    if rename is not None:
        header = {rename(k): v for k, v in header.items()}
    for key, (dtype, shape) in header.items():
        if key not in declared:
            raise damaged(name, f"its weights hold '{key[:80]}', which the manifest does not declare")
        if dtype != declared[key]["dtype"]:
            raise damaged(name, f"the weight '{key}' is stored as {dtype}, the manifest says {declared[key]['dtype']}")
        if shape != declared[key]["shape"]:
            raise damaged(name, f"the weight '{key}' has shape {shape}, the manifest says {declared[key]['shape']}")
    missing = [k for k in declared if k not in header]
    if missing:
        raise damaged(name, f"the weight '{missing[0]}' that the manifest declares is missing from its weights")
    try:
        tensors = st_load(blob)
    except Exception:  # the library's own checks; ours above should have caught everything
        raise damaged(name, "its weights cannot be read") from None
    if rename is not None:
        tensors = {rename(k): v for k, v in tensors.items()}
    for key, values in tensors.items():
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise damaged(name, f"its weights contain values that are not numbers (in '{key}')")
    return tensors


def _weights_header(blob: bytes, name: str) -> dict[str, tuple[str, list[int]]]:
    """Name -> (dtype, shape) from a safetensors blob, refusing byte ranges outside the data or overlapping."""
    if len(blob) < 8:
        raise damaged(name, "its weights cannot be read (they are cut short)")
    size = int.from_bytes(blob[:8], "little")
    if size > len(blob) - 8:
        raise damaged(name, f"its weights cannot be read (their header claims {size} bytes, more than the "
                            f"{len(blob)} bytes they hold)")
    if size > MAX_HEADER_BYTES:
        raise damaged(name, f"its weights cannot be read (their header claims {size} bytes, at most "
                            f"{MAX_HEADER_BYTES} are allowed)")
    try:
        header = json.loads(blob[8: 8 + size].decode("utf-8"))
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise damaged(name, "its weights cannot be read (their header is not valid)")
    header.pop("__metadata__", None)
    data_bytes = len(blob) - 8 - size
    out: dict[str, tuple[str, list[int]]] = {}
    spans: list[tuple[int, int, str]] = []
    for key, entry in header.items():
        ok = (isinstance(entry, dict) and entry.get("dtype") in _ST_DTYPES
              and isinstance(entry.get("shape"), list) and all(type(d) is int and d >= 0 for d in entry["shape"])
              and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
              and all(type(o) is int for o in entry["data_offsets"]))
        if not ok:
            raise damaged(name, f"the weight '{key[:80]}' is described in a way MolStudio does not read")
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= data_bytes:
            raise damaged(name, f"the weight '{key[:80]}' points outside the file (bytes {begin} to {end} of "
                                f"{data_bytes})")
        if end - begin != math.prod(entry["shape"]) * _ST_BYTES[entry["dtype"]]:
            raise damaged(name, f"the weight '{key[:80]}' has {end - begin} bytes for the shape {entry['shape']}")
        out[key] = (_ST_DTYPES[entry["dtype"]], entry["shape"])
        spans.append((begin, end, key))
    spans.sort()
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise damaged(name, f"the weights '{first[:80]}' and '{second[:80]}' overlap")
    return out
