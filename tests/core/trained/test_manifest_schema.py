"""The manifest's schema (model format 2): every model MolStudio writes passes it, and each
field that breaks it is refused, before anything is built, naming the field and the file."""

import json
import math
import time
import zipfile

import numpy as np
import pytest
from factories import logp_table, nitrogen_table, rewrite_model_file
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from molstudio.core.errors import MolStudioError
from molstudio.core.inputs import INPUTS
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.trained.manifest import FEATURE_COUNT, INPUT_KINDS
from molstudio.core.training.loop import run_to_end

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


@pytest.fixture(scope="module")
def trained():
    """An MLP on 128-bit Morgan fingerprints, one epoch: small, with hyperparameters and feature settings."""
    config = RunConfig(model="mlp", hparams={"hidden_sizes": [8]}, features=["morgan_bits(size=128)"],
                       training={"epochs": 1})
    frame = logp_table(30)
    return run_to_end(config, frame).model, frame


@pytest.fixture(scope="module")
def model_file(trained, tmp_path_factory):
    return save_model(trained[0], tmp_path_factory.mktemp("schema") / "mlp.molstudio")


def _set(*assignments):
    """A manifest edit: each assignment is (("key", "key", ...), value)."""
    def edit(manifest):
        for keys, value in assignments:
            target = manifest
            for key in keys[:-1]:
                target = target[key]
            target[keys[-1]] = value

    return edit


def _hparam(name, value):  # consistently, as an altered file that passed a first glance would
    return _set((("hparams", name), value), (("config", "model", name), value))


GRAPH_INPUTS = {"kind": "graph", "featurization": 1, "atom_features": 10, "bond_features": 4, "n_features": 128}

CASES = {
    "hidden size below range": (_hparam("hidden_sizes", [-3]),
                                 "the manifest's 'hparams.hidden_sizes' is [-3], outside 1 .. 8192"),
    "activation not a choice": (_hparam("activation", 3), "'hparams.activation' is 3, not one of relu | leaky_relu"),
    "dropout not a number": (_hparam("dropout", "high"), "'hparams.dropout' is 'high', not a finite number"),
    "batch norm not a flag": (_hparam("batch_norm", "yes"), "'hparams.batch_norm' is 'yes', not true or false"),
    "setting of another architecture": (_hparam("depth", 3),
                                        "'hparams.depth' is not a setting of the 'mlp' architecture"),
    "hyperparameters differ from the run configuration": (
        _set((("hparams", "dropout"), 0.5)), "'hparams.dropout' (0.5) differs from its run configuration's (0.05)"),
    "learning rate below range": (_set((("config", "training", "lr"), -1)),
                                  "'config.training.lr' is -1, outside 1e-07 .. 10, log scale"),
    "epochs not whole": (_set((("config", "training", "epochs"), 2.5)), "'config.training.epochs' is 2.5, "
                                                                         "not a whole number"),
    "unknown training setting": (_set((("config", "training", "shell"), "rm")),
                                 "'config.training.shell' is not a setting of the training settings"),
    "split sizes": (_set((("config", "split", "sizes"), [0.8])), "'config.split.sizes' has 1 items (2 .. 3 expected)"),
    "configured targets differ": (_set((("config", "data", "targets"), ["pIC50"])),
                                  "'config.data.targets' ([\"pIC50\"]) differs from its 'targets' ([\"logp\"])"),
    "configured architecture differs": (_set((("config", "model", "name"), "linear")),
                                        "'config.model.name' ('linear') differs from its 'architecture' ('mlp')"),
    "fingerprint size below range": (_set((("features", 0, "size"), 5)),
                                     "'features[0].size' is 5, outside 64 .. 16384"),
    "unknown feature setting": (_set((("features", 0, "bits"), 3)),
                                "'features[0].bits' is not a setting of the 'morgan_bits' features"),
    "features differ from the run configuration": (
        _set((("features", 0, "size"), 256)),
        "'features' (morgan_bits(radius=2, size=256)) differ from its run configuration's "
        "(morgan_bits(radius=2, size=128))"),
    "input kind of another architecture": (_set((("inputs",), GRAPH_INPUTS)),
                                           "its input description ('graph') does not match its architecture "
                                           "'mlp', which reads 'vector'"),
    "input description incomplete": (_set((("inputs",), {"kind": "vector"})),
                                      "the manifest has no 'inputs.feature_count'"),
    "feature count": (_set((("inputs", "feature_count"), 256)),
                      "its features (morgan_bits(radius=2, size=128)) give 128 values per compound, but the "
                      "manifest's 'inputs.feature_count' says 256"),
    "tensor dtype": (_set((("tensors", "member0.0.weight", "dtype"), "float64")),
                     "'tensors['member0.0.weight'].dtype' is 'float64', not one of float32 | int64"),
    "tensor shape": (_set((("tensors", "member0.0.weight", "shape"), [8, -1])),
                     "'tensors['member0.0.weight'].shape[1]' is -1, outside 0 .. 2147483647"),
    "tensor declared without a shape": (_set((("tensors", "member0.0.weight"), {"dtype": "float32"})),
                                        "the manifest has no 'tensors['member0.0.weight'].shape'"),
    "a number too large for a float": (_set((("target_mean",), [10**400])), "not a finite number"),
    "a setting too large for a float": (_hparam("dropout", 10**400), "0000…, not a finite number"),
    "target spread zero": (_set((("target_std",), [0])), "'target_std[0]' is 0, not above 0"),
    "target mean not a number": (_set((("target_mean",), [math.nan])), "'target_mean[0]' is NaN, not a finite number"),
    "target scaling of two targets": (_set((("target_mean",), [1.0, 2.0])), "'target_mean' has 2 values for 1 target(s)"),
    "no targets": (_set((("targets",), [])), "the manifest's 'targets' has 0 items"),
    "a target twice": (_set((("targets",), ["logp", "logp"]), (("config", "data", "targets"), ["logp", "logp"])),
                       "'targets' names the same item twice"),
    "classes of a regression": (_set((("classes",), [["0", "1"]])), "lists classes for a regression model"),
    "no network": (_set((("members",), 0)), "'members' is 0, outside 1 .. 100"),
    "networks as text": (_set((("members",), "1")), "'members' is '1', not a whole number"),
    "unknown task": (_set((("task",), "ranking")), "'task' is 'ranking', not one of regression | classification"),
    "metric as text": (_set((("metrics", "test", "rmse"), "low")), "'metrics['test'].rmse' is 'low', not a number"),
    "unknown data set in the metrics": (_set((("metrics",), {"holdout": {}})),
                                        "'metrics' has an entry named 'holdout', which does not belong there"),
    "deeply nested information": (_set((("info", "notes"), [[[[[[[["deep"]]]]]]]])),
                                  "'info.notes' is nested deeper than 6 levels"),
    "huge information": (_set((("info", "notes"), "x" * 100_000)), "'info.notes' is larger than 65536 bytes"),
    "unknown field": (_set((("script",), "import os")),
                      "the manifest has a field 'script' that its model format does not have"),
    "format version as text": (_set((("format_version",), "2")),
                               "'format_version' is '2', not a model format number"),
    "format version zero": (_set((("format_version",), 0)), "'format_version' is 0, not a model format number"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_field_that_breaks_the_schema_is_refused_naming_it(model_file, tmp_path, case):
    edit, phrase = CASES[case]
    path = rewrite_model_file(model_file, tmp_path / "altered.molstudio", edit)
    with pytest.raises(MolStudioError) as caught:
        load_model(path)
    message = str(caught.value)
    assert phrase in message and "altered.molstudio" in message, message
    assert "damaged or was altered" in message and "Ask for a fresh copy" in message


@pytest.mark.parametrize("key", ["format", "architecture", "hparams", "config", "task", "targets", "features",
                                 "inputs", "members", "target_mean", "target_std", "tensors"])
def test_a_missing_field_is_named(model_file, tmp_path, key):
    path = rewrite_model_file(model_file, tmp_path / "short.molstudio", lambda m: m.pop(key))
    with pytest.raises(MolStudioError) as caught:
        load_model(path)
    expected = "its manifest has another format" if key == "format" else f"the manifest has no '{key}'"
    assert expected in str(caught.value)


def test_unknown_features_and_inputs_ask_for_an_update(model_file, tmp_path):
    for edit, phrase in [
        (_set((("features", 0, "name"), "quantum_fp")), "uses the features 'quantum_fp'"),
        (_set((("inputs", "kind"), "hologram")), "reads inputs of the kind 'hologram'"),
    ]:
        with pytest.raises(MolStudioError) as caught:
            load_model(rewrite_model_file(model_file, tmp_path / "newer.molstudio", edit))
        message = str(caught.value)
        assert phrase in message and "which this MolStudio does not have" in message
        assert "Update MolStudio" in message and "damaged" not in message


@pytest.mark.parametrize("manifest", [b"[" * 200_000, b"{\"format\": ", b"\xff\xfe not utf-8",
                                      b"{\"format_version\": " + b"9" * 5000 + b"}"],
                         ids=["nested too deep", "cut short", "not utf-8", "a number of 5000 digits"])
def test_a_manifest_that_is_not_json_is_refused(model_file, tmp_path, manifest):
    with zipfile.ZipFile(model_file) as zf:
        weights = zf.read("weights.safetensors")
    path = tmp_path / "text.molstudio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest)
        zf.writestr("weights.safetensors", weights)
    with pytest.raises(MolStudioError, match="text.molstudio is damaged or was altered: its manifest is not valid JSON"):
        load_model(path)


@pytest.mark.parametrize("manifest", [[], {"format": "zip"}, {"format_version": 2}])
def test_a_foreign_manifest_is_not_a_model(tmp_path, manifest):
    path = tmp_path / "foreign.molstudio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("weights.safetensors", b"")
    with pytest.raises(MolStudioError, match=r"foreign.molstudio is not a MolStudio model file \(its manifest has "
                                             r"another format\)"):
        load_model(path)


def test_a_huge_network_is_refused_without_building_it(model_file, tmp_path):
    """200 layers of 8192 neurons would need 53 GB: the file's weights do not hold them, and
    the check compares shapes on a network that has none (the meta device)."""
    path = rewrite_model_file(model_file, tmp_path / "huge.molstudio", _hparam("hidden_sizes", [8192] * 200))
    start = time.perf_counter()
    with pytest.raises(MolStudioError, match="its weights do not fit the architecture it declares"):
        load_model(path)
    assert time.perf_counter() - start < 5


def test_settings_that_describe_no_network_are_refused(tmp_path):
    """Each setting in range, together impossible: 3 attention heads cannot share 8 embedding values."""
    config = RunConfig(model="smiles_transformer", training={"epochs": 1},
                       hparams={"embed_dim": 8, "heads": 2, "layers": 1, "feedforward": 8, "augment": 0})
    path = save_model(run_to_end(config, logp_table(12)).model, tmp_path / "attention.molstudio")
    with pytest.raises(MolStudioError) as caught:
        load_model(rewrite_model_file(path, tmp_path / "heads.molstudio", _hparam("heads", 3)))
    assert ("heads.molstudio is damaged or was altered: its settings describe a network that cannot be built "
            "(The token embedding size (8) must be a multiple of the number of attention heads (3).)") \
        in str(caught.value)


def test_metrics_that_are_not_numbers_are_kept(model_file, tmp_path, trained):
    """R² and Spearman are NaN for a constant set: a model file with them opens."""
    path = rewrite_model_file(model_file, tmp_path / "nan.molstudio",
                              _set((("metrics", "test", "r2"), math.nan), (("metrics", "val"), {})))
    model = load_model(path)
    assert math.isnan(model.metrics["test"]["r2"]) and model.metrics["val"] == {}


def test_a_format_1_file_opens_and_predicts_as_before(model_file, tmp_path, trained):
    """Format 1 (one network, weights 'network.*', a top-level feature_count) is upgraded on reading."""
    model, frame = trained
    with zipfile.ZipFile(model_file) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        tensors = st_load(zf.read("weights.safetensors"))
    old = {k.replace("member0.", "network.", 1): v for k, v in tensors.items()}
    manifest.update(format_version=1, feature_count=manifest.pop("inputs")["feature_count"],
                    tensors={k.replace("member0.", "network.", 1): v for k, v in manifest["tensors"].items()})
    manifest.pop("members")
    path = tmp_path / "v1.molstudio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("weights.safetensors", st_save(old))
    again = load_model(path)
    np.testing.assert_array_equal(again.predict_frame(frame)["logp_predicted"],
                                  model.predict_frame(frame)["logp_predicted"])
    upgraded = read_manifest(path)
    assert upgraded["format_version"] == 2 and upgraded["members"] == 1 and "member0.0.weight" in upgraded["tensors"]


def test_every_input_kind_has_a_schema():
    assert set(INPUT_KINDS) == set(INPUTS.names()) == set(FEATURE_COUNT)


@pytest.mark.parametrize("name, hparams, table", [
    ("linear", {}, logp_table(20)),
    ("mlp", {"hidden_sizes": [4, 4], "batch_norm": True}, nitrogen_table()),
    ("dmpnn", {"hidden_size": 16, "depth": 2, "batch_norm": True}, logp_table(20)),
    ("smiles_cnn", {"augment": 1, "predict_augment": 1, "filters": 8, "embed_dim": 8}, logp_table(20)),
], ids=["vector", "vector, classes", "graph", "tokens"])
def test_what_molstudio_writes_passes_the_schema(tmp_path, name, hparams, table):
    """One architecture per input kind (vector, graph, tokens) and a classifier, each an ensemble of two."""
    config = RunConfig(model=name, hparams=hparams, training={"epochs": 1, "ensemble": 2})
    model = run_to_end(config, table).model
    manifest = read_manifest(save_model(model, tmp_path / f"{name}.molstudio"))
    assert manifest["architecture"] == name and manifest["members"] == 2
    assert manifest["classes"] == ([["0", "1"]] if name == "mlp" else None)
