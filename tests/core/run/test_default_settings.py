"""Defaults that switch themselves off are bugs: no architecture's own training settings,
and no choice the recommendation makes for any table, may contradict each other."""

from __future__ import annotations

import pytest

from molstudio.core.architectures import MODELS
from molstudio.core.run.config import RunConfig, setting_conflicts
from molstudio.core.run.recommend import apply_recommended, quick, recommended

SIZES = [20, 50, 100, 300, 1000, 3000, 10_000, 50_000, 500_000]


@pytest.mark.parametrize("model", MODELS.names())
def test_no_architecture_default_switches_early_stopping_off(model):
    config = RunConfig(model=model)
    assert setting_conflicts(config.resolved_training()) == []


@pytest.mark.parametrize("has_structures", [True, False])
@pytest.mark.parametrize("compounds", SIZES)
@pytest.mark.parametrize("choose", [recommended, quick])
def test_no_recommended_or_quick_choice_contradicts_itself(choose, compounds, has_structures):
    config = apply_recommended(RunConfig(), has_structures, compounds, choice=choose(has_structures, compounds))
    assert setting_conflicts(config.resolved_training()) == []


def test_a_patience_the_run_can_never_reach_is_named_in_words():
    config = RunConfig(model="mlp", training={"epochs": 25, "patience": 30})
    (message,) = setting_conflicts(config.resolved_training())
    assert "patience (30)" in message and "epochs (25)" in message and "never" in message
    assert setting_conflicts(RunConfig(model="mlp", training={"epochs": 25, "patience": 0}).resolved_training()) == []


def test_a_plateau_schedule_that_never_acts_is_named():
    config = RunConfig(model="mlp", training={"epochs": 8, "patience": 24, "lr_schedule": "plateau"})
    assert any("plateau" in m and "8 epochs" in m for m in setting_conflicts(config.resolved_training()))
    fine = RunConfig(model="mlp", training={"epochs": 40, "patience": 15, "lr_schedule": "plateau"})
    assert setting_conflicts(fine.resolved_training()) == []
