"""The .molstudio file: round trip, and refusal of damaged or foreign files."""

import zipfile

import numpy as np
import pytest
from factories import descriptor_table, logp_table, rewrite_model_file

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import run_to_end


@pytest.fixture(scope="module")
def trained():
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16], "batch_norm": True})
    cfg.training = {"epochs": 5, "patience": 0}
    frame = logp_table()
    return run_to_end(cfg, frame).model, frame


def test_round_trip_gives_identical_predictions(trained, tmp_path):
    model, frame = trained
    path = save_model(model, tmp_path / "logp.molstudio")
    again = load_model(path)
    before = model.predict_frame(frame)
    after = again.predict_frame(frame)
    np.testing.assert_array_equal(before["logp_predicted"].to_numpy(), after["logp_predicted"].to_numpy())
    assert again.config.to_dict() == model.config.to_dict()
    assert again.metrics["test"]["rmse"] == pytest.approx(model.metrics["test"]["rmse"])


def test_manifest_records_what_a_colleague_needs(trained, tmp_path):
    model, _ = trained
    manifest = read_manifest(save_model(model, tmp_path / "m.molstudio"))
    assert manifest["architecture"] == "mlp"
    assert manifest["hparams"]["hidden_sizes"] == [16]
    assert manifest["targets"] == ["logp"]
    assert manifest["features"][0]["name"] == "morgan_count"
    assert {"torch", "rdkit", "molstudio"} <= set(manifest["versions"])
    assert manifest["info"]["split"]["counts"]["train"] > 0
    assert "weights_seed" in manifest["info"]
    assert manifest["created"]


def test_no_pickle_inside(trained, tmp_path):
    path = save_model(trained[0], tmp_path / "m.molstudio")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "weights.safetensors"]
        for name in zf.namelist():
            assert not zf.read(name).startswith(b"\x80")  # pickle protocol marker


def test_foreign_and_damaged_files_are_refused(trained, tmp_path):
    good = save_model(trained[0], tmp_path / "good.molstudio")
    text = tmp_path / "notes.molstudio"
    text.write_text("hello")
    with pytest.raises(MolStudioError, match="not a MolStudio model file"):
        load_model(text)
    truncated = tmp_path / "cut.molstudio"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(MolStudioError):
        load_model(truncated)
    with pytest.raises(MolStudioError, match="holds"):
        load_model(rewrite_model_file(good, tmp_path / "extra.molstudio", extra={"../evil.py": "import os"}))
    with pytest.raises(MolStudioError, match="format 99"):
        load_model(rewrite_model_file(good, tmp_path / "v99.molstudio",
                            lambda m: m.update(format_version=99)))
    with pytest.raises(MolStudioError, match="architecture 'quantum'"):
        load_model(rewrite_model_file(good, tmp_path / "arch.molstudio", lambda m: m.update(architecture="quantum")))
    with pytest.raises(MolStudioError, match="weights cannot be read"):
        load_model(rewrite_model_file(good, tmp_path / "w.molstudio", weights=b"garbage" * 10))


def test_shapes_must_match_the_manifest(trained, tmp_path):
    good = save_model(trained[0], tmp_path / "good.molstudio")

    def lie(m):  # consistently: the run configuration holds the same settings
        m["hparams"]["hidden_sizes"] = m["config"]["model"]["hidden_sizes"] = [32]

    with pytest.raises(MolStudioError, match="do not fit the architecture"):
        load_model(rewrite_model_file(good, tmp_path / "lie.molstudio", lie))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(MolStudioError, match="does not exist"):
        load_model(tmp_path / "nope.molstudio")


def test_descriptor_model_round_trip(tmp_path):
    frame = descriptor_table(80)
    cfg = RunConfig(model="linear", training={"epochs": 3})
    model = run_to_end(cfg, frame).model
    again = load_model(save_model(model, tmp_path / "d.molstudio"))
    np.testing.assert_array_equal(model.predict_frame(frame)["y_predicted"], again.predict_frame(frame)["y_predicted"])
