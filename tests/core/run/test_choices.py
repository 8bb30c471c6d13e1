"""The rules the command line and the app share: a run from a user's choices, what an
architecture reads and starts from, the default search name, and a run resolved once."""

from __future__ import annotations

import pytest
from factories import descriptor_table, logp_table

import molstudio.core.run.prepare as prepare
from molstudio.core.errors import MolStudioError
from molstudio.core.run import RunConfig, resolve_config
from molstudio.core.run.choices import (
    RunChoices,
    config_from_choices,
    default_study_name,
    input_kind,
    recommended_start,
    require_structures,
    training_start,
)
from molstudio.core.run.recommend import recommended
from molstudio.core.training import run_to_end


def test_nothing_chosen_gives_the_recommended_run_for_a_table_with_structures():
    frame = logp_table()
    config = config_from_choices(RunChoices(), frame)
    rec = recommended(True, len(frame), "regression")
    assert config.model == rec["model"] and config.features == rec["features"]
    assert config.training["ensemble"] == rec["training"]["ensemble"]
    # the app preselects the same start
    model, features, training = recommended_start(True, len(frame), task="regression")
    assert (model, features, training["ensemble"]) == (config.model, config.features, config.training["ensemble"])


def test_chosen_descriptor_columns_become_features_and_settings_reach_the_architecture():
    choices = RunChoices(model="mlp", descriptor_columns=["f1", "f2"], targets=["y"],
                         settings=["hidden_sizes=16,16", "lr=0.01"], split_sizes="0.8,0,0.2", seed=7)
    config = config_from_choices(choices, descriptor_table(30))
    assert config.features == []  # left to resolution: the table's own columns for an mlp
    assert config.descriptor_columns == ["f1", "f2"]
    assert config.hparams["hidden_sizes"] == [16, 16] and config.training["lr"] == 0.01
    assert config.split.sizes == (0.8, 0.0, 0.2) and config.split.seed == 7 and config.training["seed"] == 7
    resolved = resolve_config(config, descriptor_table(30))
    assert resolved.features == ["columns"] and resolved.targets == ["y"]


def test_a_model_chosen_over_a_config_file_keeps_only_the_settings_it_has(tmp_path):
    from molstudio.core.run import save_config

    path = tmp_path / "run.toml"
    save_config(RunConfig(model="mlp", hparams={"hidden_sizes": [8], "dropout": 0.2}), path)
    config = config_from_choices(RunChoices(config_file=path, model="linear"), descriptor_table(20))
    assert config.model == "linear" and config.hparams == {}


def test_a_setting_without_a_value_is_refused_in_words():
    with pytest.raises(MolStudioError, match="--set needs KEY=VALUE, got 'lr'"):
        config_from_choices(RunChoices(model="mlp", settings=["lr"]), descriptor_table(20))


def test_a_graph_network_on_a_table_without_structures_is_refused_the_same_way_everywhere():
    assert input_kind("dmpnn") == "graph" and input_kind("mlp") == "vector"
    with pytest.raises(MolStudioError, match="reads each molecule's structure") as raised:
        require_structures("dmpnn", "")
    with pytest.raises(MolStudioError) as from_resolve:
        resolve_config(RunConfig(model="dmpnn", targets=["y"]), descriptor_table(20))
    assert from_resolve.value.message == raised.value.message


def test_an_architecture_starts_from_its_own_training_defaults():
    assert training_start("mlp")["epochs"] == RunConfig(model="mlp").resolved_training()["epochs"]
    assert training_start("dmpnn")["epochs"] == RunConfig(model="dmpnn").resolved_training()["epochs"]


def test_the_default_search_name_says_the_file_the_architecture_and_the_scoring():
    config = RunConfig(model="mlp", targets=["pIC50"])
    assert default_study_name(config, "/data/assay.csv") == "assay-mlp"
    assert default_study_name(config, "/data/assay.csv", folds=5) == "assay-mlp-cv5"
    assert default_study_name(config, None) == "pIC50-mlp"  # an example table has no file


@pytest.fixture
def count_resolutions(monkeypatch):
    calls = []
    real = prepare.resolve_config

    def counting(config, frame):
        calls.append(1)
        return real(config, frame)

    monkeypatch.setattr(prepare, "resolve_config", counting)
    return calls


RUN = RunConfig(model="mlp", targets=["y"], hparams={"hidden_sizes": [8]},
                training={"epochs": 2, "device": "cpu", "patience": 0})


def test_a_run_resolved_before_training_is_not_resolved_again(count_resolutions):
    frame = descriptor_table(40)
    resolved = prepare.resolve_config(RUN, frame)
    assert len(count_resolutions) == 1
    run_to_end(resolved, frame)
    assert len(count_resolutions) == 1


def test_a_run_not_yet_resolved_is_resolved_once(count_resolutions):
    run_to_end(RUN, descriptor_table(40))
    assert len(count_resolutions) == 1


def test_a_resolved_run_changed_afterwards_is_resolved_again(count_resolutions):
    frame = descriptor_table(40)
    resolved = prepare.resolve_config(RUN, frame)
    resolved.descriptor_columns = ["f1", "f2"]
    data = prepare.prepare_data(resolved, frame)
    assert len(count_resolutions) == 2 and data.config.descriptor_columns == ["f1", "f2"]
