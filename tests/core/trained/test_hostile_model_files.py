"""Hostile .molstudio files: each is refused with one clear MolStudioError naming the file,
nothing in it is unpickled or extracted, and the command line says so in one line (exit 2)."""

import json
import pickle
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from factories import descriptor_table, rewrite_model_file
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from molstudio.cli import main as cli_main
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import run_to_end

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A real model (linear on four descriptor columns, two epochs): the material every hostile file is cut from."""
    model = run_to_end(RunConfig(model="linear", training={"epochs": 2}), descriptor_table(60)).model
    return save_model(model, tmp_path_factory.mktemp("hostile") / "model.molstudio")


def _parts(model_file):
    with zipfile.ZipFile(model_file) as zf:
        return zf.read("manifest.json"), zf.read("weights.safetensors")


def _zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    """A zip holding ``entries`` ((name, bytes) pairs, in order, duplicates allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name; that is the point
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return path


def _patch_central(data: bytes, entry: str, offset: int, value: int, width: int) -> bytes:
    """``data`` (a zip) with a field of ``entry``'s central directory record replaced."""
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_length = int.from_bytes(data[at + 28: at + 30], "little")
        if data[at + 46: at + 46 + name_length] == entry.encode():
            break
        at += 4
    return data[: at + offset] + value.to_bytes(width, "little") + data[at + offset + width:]


def refused(path, *phrases):
    """Opening ``path`` (as a model and as ``info`` reads it) fails with one message naming the
    file and holding ``phrases``; returns the message."""
    with pytest.raises(MolStudioError) as caught:
        load_model(path)
    message = str(caught.value)
    assert Path(path).name in message
    for phrase in phrases:
        assert phrase in message, message
    with pytest.raises(MolStudioError) as again:
        read_manifest(path)
    assert str(again.value) == message
    return message


# ---- the zip's entries -------------------------------------------------------------------------
@pytest.mark.parametrize("evil", ["../evil.py", "models/../../evil.py", "/etc/cron.d/evil", "C:\\Windows\\evil.dll",
                                  "C:evil", "sub\\evil.py"])
def test_entry_names_that_point_outside_the_archive_are_refused(model_file, tmp_path, evil):
    manifest, weights = _parts(model_file)
    path = _zip(tmp_path / "traversal.molstudio",
                [("manifest.json", manifest), ("weights.safetensors", weights), (evil, b"import os")])
    refused(path, "unsafe name", repr(evil))
    assert not (tmp_path.parent / "evil.py").exists() and not (tmp_path / "evil.py").exists()


def test_an_entry_present_twice_is_refused(model_file, tmp_path):
    manifest, weights = _parts(model_file)
    other = json.loads(manifest)
    other["targets"] = other["config"]["data"]["targets"] = ["something else"]
    path = _zip(tmp_path / "twice.molstudio", [("manifest.json", manifest), ("weights.safetensors", weights),
                                               ("manifest.json", json.dumps(other).encode())])
    assert [i.filename for i in zipfile.ZipFile(path).infolist()].count("manifest.json") == 2
    refused(path, "holds the entry 'manifest.json' twice")


@pytest.mark.parametrize("count", [1500, 70_000])  # 70 000: more than a plain zip counts, a zip64 end record
def test_too_many_entries_are_refused_before_the_table_of_contents_is_read(tmp_path, monkeypatch, count):
    path = _zip(tmp_path / "crowd.molstudio", [(f"{i}", b"") for i in range(count)], zipfile.ZIP_STORED)
    monkeypatch.setattr(zipfile.ZipFile, "__init__", None)  # the zip library must not even start reading
    refused(path, f"{count} entries")


def test_an_entry_declaring_a_huge_size_is_refused(model_file, tmp_path):
    data = model_file.read_bytes()
    path = tmp_path / "huge.molstudio"
    path.write_bytes(_patch_central(data, "manifest.json", 24, 3 * 2**30, 4))  # uncompressed size: 3 GB
    refused(path, "manifest.json declares 3221225472 bytes")


def test_an_entry_shorter_than_it_declares_is_refused(model_file, tmp_path):
    data = model_file.read_bytes()
    path = tmp_path / "liar.molstudio"
    path.write_bytes(_patch_central(data, "weights.safetensors", 24, 100, 4))  # the data are longer than that
    refused(path, "weights.safetensors cannot be read")


@pytest.mark.parametrize("entry", ["manifest.json", "weights.safetensors"])
def test_a_zip_bomb_is_refused_without_expanding_it(model_file, tmp_path, entry):
    manifest, weights = _parts(model_file)
    bomb = b" " * (48 * 2**20)  # 48 MB that compress about 1000 times
    entries = dict([("manifest.json", manifest), ("weights.safetensors", weights)], **{entry: bomb})
    path = _zip(tmp_path / "bomb.molstudio", list(entries.items()))
    assert path.stat().st_size < 2**20
    refused(path, f"the entry {entry} would expand", "zip bomb")


def test_an_encrypted_entry_is_refused(model_file, tmp_path):
    path = tmp_path / "locked.molstudio"
    path.write_bytes(_patch_central(model_file.read_bytes(), "weights.safetensors", 8, 0x1, 2))
    refused(path, "weights.safetensors is encrypted")


def test_an_unknown_compression_is_refused(model_file, tmp_path):
    path = tmp_path / "aes.molstudio"
    path.write_bytes(_patch_central(model_file.read_bytes(), "manifest.json", 10, 99, 2))  # 99: WinZip AES
    refused(path, "manifest.json is compressed in a way MolStudio does not read")


# ---- truncated, foreign and non-zip files --------------------------------------------------------
@pytest.mark.parametrize("keep", [5, 40, 0.25, 0.5, 0.9, -23, -1])
def test_a_truncated_file_is_refused(model_file, tmp_path, keep):
    data = model_file.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (keep if keep > 0 else len(data) + keep)
    path = tmp_path / "cut.molstudio"
    path.write_bytes(data[:cut])
    refused(path, "is incomplete or damaged", "Copy the file again")


def test_a_corrupted_byte_in_the_weights_is_refused(model_file, tmp_path):
    manifest, weights = _parts(model_file)
    path = _zip(tmp_path / "flipped.molstudio", [("manifest.json", manifest), ("weights.safetensors", weights)],
                zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = bytes(data).index(weights) + len(weights) - 3  # inside a stored weight value
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    refused(path, "weights.safetensors cannot be read (it is truncated or corrupted)")


def test_a_workbook_renamed_molstudio_is_refused(tmp_path):
    path = tmp_path / "assay.xlsx"
    pd.DataFrame({"smiles": ["CCO"], "pIC50": [5.1]}).to_excel(path, index=False)
    renamed = path.rename(tmp_path / "assay.molstudio")
    refused(renamed, "not a MolStudio model file", "Office document")


def test_a_zip_of_other_files_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = _zip(tmp_path / "photos.molstudio", [(f"img{i}.jpg", rng.bytes(500)) for i in range(5)])
    refused(path, "not a MolStudio model file", "'img0.jpg', 'img1.jpg', 'img2.jpg' and 2 more")
    refused(_zip(tmp_path / "hollow.molstudio", []), "empty zip archive")


@pytest.mark.parametrize("content, phrase", [
    (b"", "is empty (0 bytes)"),
    (b"smiles,pIC50\nCCO,5.1\n", "not a MolStudio model file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a MolStudio model file"),
])
def test_files_that_are_not_zip_archives_are_refused(tmp_path, content, phrase):
    path = tmp_path / "odd.molstudio"
    path.write_bytes(content)
    refused(path, phrase)


def test_a_folder_named_like_a_model_is_refused(tmp_path):
    (tmp_path / "folder.molstudio").mkdir()
    refused(tmp_path / "folder.molstudio", "is a folder")


# ---- pickles are never unpickled -----------------------------------------------------------------
class Tripwire:
    """Unpickling this creates the file ``marker``: proof that a pickle was run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _pickle_kinds():
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        yield f"pickle-{protocol}", lambda obj, path, p=protocol: path.write_bytes(pickle.dumps(obj, protocol=p))
    yield "torch.save", lambda obj, path: torch.save({"state_dict": obj}, path)
    yield "torch.save-legacy", lambda obj, path: torch.save({"state_dict": obj}, path,
                                                            _use_new_zipfile_serialization=False)


@pytest.mark.parametrize("kind, write", list(_pickle_kinds()), ids=[k for k, _ in _pickle_kinds()])
def test_a_pickle_renamed_molstudio_is_refused_without_being_unpickled(tmp_path, kind, write):
    marker = tmp_path / "unpickled.txt"
    path = tmp_path / "model.molstudio"
    write(Tripwire(marker), path)
    torch.load(path, weights_only=False) if kind.startswith("torch") else pickle.loads(path.read_bytes())
    assert marker.exists()  # the tripwire works: unpickling this file runs code
    marker.unlink()
    message = refused(path, "not a MolStudio model file")
    if kind not in ("pickle-0", "pickle-1"):  # protocols 0 and 1 are text without a signature
        assert "never opens pickles" in message
    assert not marker.exists()


# ---- the weights -----------------------------------------------------------------------------
def _edit_header(weights: bytes, edit) -> bytes:
    size = struct.unpack("<Q", weights[:8])[0]
    header = json.loads(weights[8: 8 + size])
    edit(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + weights[8 + size:]


def _with_weights(model_file, tmp_path, weights, manifest_edit=None, name="weights.molstudio"):
    return rewrite_model_file(model_file, tmp_path / name, manifest_edit, weights=weights)


def test_a_weights_header_longer_than_the_file_is_refused(model_file, tmp_path):
    _, weights = _parts(model_file)
    path = _with_weights(model_file, tmp_path, struct.pack("<Q", 10**9) + weights[8:])
    refused(path, "their header claims 1000000000 bytes, more than the")


def test_weights_pointing_outside_the_file_are_refused(model_file, tmp_path):
    _, weights = _parts(model_file)

    def stretch(header):
        header["member0.weight"]["data_offsets"][1] += 10**6

    refused(_with_weights(model_file, tmp_path, _edit_header(weights, stretch)),
            "the weight 'member0.weight' points outside the file")


def test_overlapping_weights_are_refused(model_file, tmp_path):
    _, weights = _parts(model_file)

    def overlap(header):  # two weights of the same size made to share their bytes
        header["features.low"]["data_offsets"] = list(header["features.high"]["data_offsets"])

    message = refused(_with_weights(model_file, tmp_path, _edit_header(weights, overlap)), "overlap")
    assert "features.high" in message and "features.low" in message


def test_weights_of_another_dtype_than_the_manifest_says_are_refused(model_file, tmp_path):
    _, weights = _parts(model_file)
    tensors = st_load(weights)
    tensors["member0.weight"] = tensors["member0.weight"].astype(np.float64)
    refused(_with_weights(model_file, tmp_path, st_save(tensors)),
            "the weight 'member0.weight' is stored as float64, the manifest says float32")


def test_a_weights_header_that_is_not_json_is_refused(model_file, tmp_path):
    _, weights = _parts(model_file)
    size = struct.unpack("<Q", weights[:8])[0]
    broken = weights[:8] + b"{" * size + weights[8 + size:]
    refused(_with_weights(model_file, tmp_path, broken), "their header is not valid")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_weights_that_are_not_numbers_are_refused(model_file, tmp_path, bad):
    _, weights = _parts(model_file)
    tensors = st_load(weights)
    tensors["member0.weight"][0, 1] = bad
    refused(_with_weights(model_file, tmp_path, st_save(tensors)),
            "its weights contain values that are not numbers (in 'member0.weight')")


def _drop_or_add(model_file, tmp_path, in_weights, in_manifest, name, value=None):
    _, weights = _parts(model_file)
    tensors = st_load(weights)

    def change(target):
        if value is None:
            target.pop(name)
        else:
            target[name] = value

    if in_weights:
        change(tensors)
    spec = None if value is None else {"shape": list(value.shape), "dtype": str(value.dtype)}
    edit = (lambda m: change(m["tensors"]) if spec is None else m["tensors"].update({name: spec})) \
        if in_manifest else None
    return _with_weights(model_file, tmp_path, st_save(tensors), edit)


@pytest.mark.parametrize("in_weights, in_manifest, phrase", [
    (True, True, "its weights do not fit the architecture it declares: the weight 'member0.bias' is missing"),
    (True, False, "the weight 'member0.bias' that the manifest declares is missing from its weights"),
    (False, True, "its weights hold 'member0.bias', which the manifest does not declare"),
])
def test_a_missing_weight_is_refused(model_file, tmp_path, in_weights, in_manifest, phrase):
    refused(_drop_or_add(model_file, tmp_path, in_weights, in_manifest, "member0.bias"), phrase)


@pytest.mark.parametrize("name, in_weights, in_manifest, phrase", [
    ("member0.extra", True, True, "the 'linear' network has no weight 'member0.extra'"),
    ("member0.extra", True, False, "its weights hold 'member0.extra', which the manifest does not declare"),
    ("member0.extra", False, True, "the weight 'member0.extra' that the manifest declares is missing"),
    ("payload.code", True, True, "the manifest's 'tensors' names 'payload.code', which belongs to no network"),
    ("member1.weight", True, True, "'member1.weight', which belongs to no network"),
])
def test_an_extra_weight_is_refused(model_file, tmp_path, name, in_weights, in_manifest, phrase):
    refused(_drop_or_add(model_file, tmp_path, in_weights, in_manifest, name, np.ones(3, np.float32)), phrase)


# ---- versions and architectures ------------------------------------------------------------------
def test_a_model_from_a_newer_molstudio_asks_for_an_update(model_file, tmp_path):
    path = rewrite_model_file(model_file, tmp_path / "future.molstudio", lambda m: m.update(format_version=3))
    message = refused(path, "written by a newer MolStudio (model format 3)", "Update MolStudio")
    assert "damaged" not in message


def test_an_unknown_architecture_asks_for_an_update(model_file, tmp_path):
    def quantum(m):
        m["architecture"] = m["config"]["model"]["name"] = "quantum_mpnn"

    refused(rewrite_model_file(model_file, tmp_path / "q.molstudio", quantum),
            "uses the architecture 'quantum_mpnn', which this MolStudio does not have", "Update MolStudio")


# ---- the command line: one line, exit 2 ------------------------------------------------------
def _hostile_files(model_file, tmp_path):
    data = model_file.read_bytes()
    _, weights = _parts(model_file)
    tensors = st_load(weights)
    tensors["member0.bias"][:] = np.nan
    (tmp_path / "cut.molstudio").write_bytes(data[: len(data) // 2])
    Path(tmp_path / "pickle.molstudio").write_bytes(pickle.dumps(Tripwire(tmp_path / "unpickled.txt")))
    return {
        "cut.molstudio": "incomplete",
        "pickle.molstudio": "never opens pickles",
        rewrite_model_file(model_file, tmp_path / "nan.molstudio", weights=st_save(tensors)).name: "not numbers",
        rewrite_model_file(model_file, tmp_path / "v9.molstudio", lambda m: m.update(format_version=9)).name:
            "newer MolStudio",
        _zip(tmp_path / "zip.molstudio", [("a.txt", b"x")]).name: "'a.txt'",
    }


@pytest.mark.parametrize("command", ["info", "predict"])
def test_the_command_line_refuses_each_in_one_error_line(model_file, tmp_path, capsys, command):
    table = tmp_path / "new.csv"
    descriptor_table(5).to_csv(table, index=False)
    for name, phrase in _hostile_files(model_file, tmp_path).items():
        out = tmp_path / f"{name}.csv"
        args = ["info", str(tmp_path / name)] if command == "info" else \
            ["predict", str(tmp_path / name), str(table), "--out", str(out)]
        assert cli_main(args) == 2, name
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[0].startswith("error: ") and name in lines[0] and phrase in err, err
        assert sum(line.startswith("error:") for line in lines) == 1 and "Traceback" not in err
        assert not out.exists()
    assert not (tmp_path / "unpickled.txt").exists()
    assert cli_main(["info", str(model_file)]) == 0  # and the real model file still reads
