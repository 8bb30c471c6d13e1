"""Writing files when the disk fills up or the folder is read-only: a clear message naming the
file, no half-written or temporary file left, the old output and the input file untouched."""

import builtins
import errno
import io as std_io
import os
import tempfile
from pathlib import Path

import pytest
from factories import logp_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.tables import reading as io
from molstudio.core.trained import file as bundle
from molstudio.core.training.loop import run_to_end

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

FORMATS = ["csv", "xlsx", "sdf"]


class _FillingFile:
    """A file on a disk with ``room`` bytes (or characters) left: the write that passes it fails."""

    def __init__(self, handle, room: int) -> None:
        self._handle, self._room = handle, room

    def write(self, data):
        if len(data) > self._room:
            self._handle.write(data[: self._room])  # what fitted is on the disk: a half-written file
            self._room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __iter__(self):
        return iter(self._handle)


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def disk_full(monkeypatch, out_dir):
    """Files opened for writing in ``out_dir`` run out of room after a few hundred bytes."""
    real_open = builtins.open

    def opener(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and Path(file).parent == out_dir and set(mode) & set("wax+"):
            return _FillingFile(handle, 300)
        return handle

    monkeypatch.setattr(builtins, "open", opener)
    monkeypatch.setattr(std_io, "open", opener)  # zipfile (XLSX, model files) opens through io.open


@pytest.fixture
def read_only(monkeypatch, out_dir):
    """``out_dir`` refuses new files, as a read-only folder does (chmod does not stop root)."""
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == out_dir:
            raise PermissionError(errno.EACCES, "Permission denied", str(out_dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.fixture
def table(tmp_path):
    source = tmp_path / "compounds.csv"
    logp_table(30).to_csv(source, index=False)
    return source


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_while_exporting_leaves_the_old_file_and_the_input_untouched(fmt, table, out_dir, request):
    target = out_dir / f"predictions.{fmt}"
    frame = io.read_table(table).frame
    io.write_table(frame.head(3), target, structure_column="smiles")  # yesterday's export
    before, source_bytes = _snapshot(out_dir), table.read_bytes()
    request.getfixturevalue("disk_full")
    with pytest.raises(MolStudioError) as info:
        io.write_table(frame, target, structure_column="smiles", forbid=table)
    assert str(info.value).startswith(f"Could not write {target}: the disk is full.")
    assert "Free some space" in str(info.value)
    assert _snapshot(out_dir) == before  # no .part file, the old export byte for byte
    assert table.read_bytes() == source_bytes


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_during_a_streamed_prediction_export_leaves_nothing_behind(fmt, table, out_dir, disk_full):
    target = out_dir / f"streamed.{fmt}"
    frame = io.read_table(table).frame
    with pytest.raises(MolStudioError, match="the disk is full"):
        with io.open_table_writer(target, list(frame.columns), structure_column="smiles", forbid=table) as writer:
            for start in range(0, len(frame), 5):
                writer.write(frame.iloc[start : start + 5])
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_read_only_folder_is_named_and_nothing_changes(fmt, table, out_dir, read_only):
    target = out_dir / f"predictions.{fmt}"
    with pytest.raises(MolStudioError) as info:
        io.write_table(io.read_table(table).frame, target, structure_column="smiles", forbid=table)
    assert str(info.value).startswith(f"Could not write {target}: the folder is read-only or protected")
    assert "Choose another folder" in str(info.value)
    assert list(out_dir.iterdir()) == []


def test_a_really_read_only_folder_when_the_system_enforces_it(table, out_dir):
    out_dir.chmod(0o555)
    try:
        if os.access(out_dir, os.W_OK):
            pytest.skip("this user (root) can write to a read-only folder")
        with pytest.raises(MolStudioError, match="read-only or protected"):
            io.write_table(io.read_table(table).frame, out_dir / "x.csv")
        assert list(out_dir.iterdir()) == []
    finally:
        out_dir.chmod(0o755)


@pytest.fixture(scope="module")
def model():
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [8], "dropout": 0.0})
    cfg.training = {"epochs": 2, "patience": 0, "batch_size": 16, "device": "cpu"}
    return run_to_end(cfg, logp_table(30)).model


def test_saving_a_model_on_a_full_disk_keeps_the_saved_model(model, out_dir, request):
    target = out_dir / "model.molstudio"
    bundle.save_model(model, target)
    before = _snapshot(out_dir)
    request.getfixturevalue("disk_full")
    with pytest.raises(MolStudioError, match=f"Could not write {target}: the disk is full"):
        bundle.save_model(model, target)
    assert _snapshot(out_dir) == before
    assert bundle.load_model(target).targets == ["logp"]


def test_saving_a_model_in_a_read_only_folder_is_explained(model, out_dir, read_only):
    with pytest.raises(MolStudioError, match="read-only or protected"):
        bundle.save_model(model, out_dir / "model.molstudio")
    assert list(out_dir.iterdir()) == []
