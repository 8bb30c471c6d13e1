"""The recommended configuration is a policy over the table's kind, task and size, and the
command line and the app read the same one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from factories import SMILES, descriptor_table, logp_table, nitrogen_table

from molstudio.core.run.choices import RunChoices, config_from_choices, guess_task, recommended_start
from molstudio.core.run.recommend import GRAPH_BELOW, quick, recommended


def _many(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"smiles": [SMILES[i % len(SMILES)] for i in range(n)], "pIC50": rng.normal(6, 1, n)})


def test_small_regression_tables_get_graph_networks_and_large_ones_feed_forward_networks():
    small, large = recommended(True, GRAPH_BELOW - 1, "regression"), recommended(True, GRAPH_BELOW, "regression")
    assert small["model"] == "dmpnn" and small["features"] == ["rdkit2d"]
    assert large["model"] == "mlp" and large["features"] == ["morgan_count", "rdkit2d"]
    assert small["training"]["ensemble"] == large["training"]["ensemble"] == 5
    assert "D-MPNN" in small["why"] and "faster" in large["why"]  # the reason, in words


def test_classification_gets_feed_forward_networks_at_every_size():
    assert {recommended(True, n, "classification")["model"] for n in (50, 500, 5000, 50_000)} == {"mlp"}


def test_batches_grow_with_the_table():
    batches = [recommended(True, n, "classification")["training"]["batch_size"] for n in (100, 1000, 10_000)]
    assert batches == sorted(batches) and batches[0] < batches[-1]


def test_a_descriptor_table_gets_networks_on_its_own_columns():
    rec = recommended(False, 800, "regression")
    assert rec["model"] == "mlp" and rec["features"] == ["columns"]


def test_the_quick_choice_is_one_network():
    for has_structures in (True, False):
        assert quick(has_structures, 5000)["training"]["ensemble"] == 1
        assert quick(has_structures, 5000)["model"] == "mlp"


def test_the_command_line_reads_the_task_and_size_from_the_table():
    assert guess_task(nitrogen_table(), ["has_n"]) == "classification"
    assert guess_task(logp_table(), ["logp"]) == "regression"
    assert guess_task(logp_table(), ["missing"]) == ""
    classes = config_from_choices(RunChoices(targets=["has_n"]), nitrogen_table())
    assert classes.model == "mlp"
    large = config_from_choices(RunChoices(), _many(2 * GRAPH_BELOW))
    assert large.model == "mlp" and large.training["batch_size"] == 128
    small = config_from_choices(RunChoices(), logp_table())
    assert small.model == "dmpnn"
    assert recommended_start(True, 2 * GRAPH_BELOW, task="regression")[0] == large.model
    assert config_from_choices(RunChoices(), descriptor_table(50)).features == ["columns"]
