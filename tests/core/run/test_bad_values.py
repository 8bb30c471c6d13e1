"""Bad values in readable tables: structures and targets that cannot be learned from, each
with a message naming the row or column and what is wrong."""

import time

import numpy as np
import pytest
from factories import logp_table

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.run.prepare import prepare_data
from molstudio.core.tables import reading as io
from molstudio.core.training.loop import train
from molstudio.core.training.reports import FinishedReport, StageReport

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

FAST = dict(model="mlp", features=["morgan_count(size=64)"], hparams={"hidden_sizes": [8]},
            training={"epochs": 2, "patience": 0, "device": "cpu"})


def config(**kw):
    return RunConfig(**{**FAST, **kw})


def run(frame, **kw):
    """Train on ``frame``; the stages seen before the run ended or failed are kept in ``seen``."""
    seen = []
    final = None
    for report in train(config(**kw), frame):
        if isinstance(report, StageReport):
            seen.append(report.stage)
        elif isinstance(report, FinishedReport):
            final = report
    return final, seen


def error_of(frame, **kw):
    seen = []
    with pytest.raises(MolStudioError) as caught:
        for report in train(config(**kw), frame):
            if isinstance(report, StageReport):
                seen.append(report.stage)
    assert "Computing features" not in seen  # refused before any work on features
    return str(caught.value)


# --- structures -----------------------------------------------------------------------

def test_invalid_hypervalent_and_empty_smiles_are_left_out_with_rdkits_reason():
    frame = logp_table(20)
    frame.loc[3, "smiles"] = "C1CC"
    frame.loc[5, "smiles"] = "C(C)(C)(C)(C)C"  # pentavalent carbon
    frame.loc[7, "smiles"] = ""
    final, _ = run(frame, targets=["logp"])
    reasons = dict(final.skipped)
    assert reasons[3] == "invalid structure: SMILES syntax error: unclosed ring"
    assert reasons[5] == "invalid structure: Explicit valence for atom # 0 C, 5, is greater than permitted"
    assert reasons[7] == "invalid structure: empty structure"
    (note,) = [w for w in final.warnings if "left out" in w]
    assert note.startswith("3 of 20 rows were left out of training: 3 with an unreadable structure (first: row 4")
    assert sum(final.split_counts.values()) == 17


def test_enormous_strings_are_refused_quickly_with_a_reason():
    cases = {
        "C(" * 50_000: "too long: 100,000 characters",  # took RDKit minutes to reject
        "[C@@H](F)" * 20_000: "too long: 180,000 characters",  # crashed RDKit's canonical ordering
        "C" * 5_000: "too large: 5,000 heavy atoms",  # a polymer
        "c1ccccc1" * 1_000: "too large: 6,000 heavy atoms",
    }
    for smiles, reason in cases.items():
        started = time.perf_counter()
        mol, error = chem.parse_smiles(smiles)
        assert mol is None and error.startswith(reason)
        assert time.perf_counter() - started < 2.0
    assert chem.parse_smiles("C" * 900)[0].GetNumHeavyAtoms() == 900  # large but still a molecule


def test_a_syntax_error_reason_stays_short():
    _, error = chem.parse_smiles("C(" * 2_000)
    assert error.startswith("SMILES syntax error") and len(error) < 300


def test_an_enormous_garbage_cell_in_a_table_is_one_row_problem(tmp_path):
    frame = logp_table(12)
    frame.loc[2, "smiles"] = "Q(" * 50_000
    path = tmp_path / "garbage.csv"
    frame.to_csv(path, index=False)
    table = io.read_table(path).frame
    started = time.perf_counter()
    data = prepare_data(config(), table)
    assert time.perf_counter() - started < 5.0
    assert data.skipped == [(2, "invalid structure: too long: 100,000 characters (MolStudio reads SMILES of up "
                                "to 10,000; is this cell really a structure?)")]


def test_a_smiles_list_starting_with_garbage_is_read_quickly(tmp_path):
    path = tmp_path / "garbage.smi"
    path.write_text("C(" * 50_000 + "\nCCO ethanol\nCCN ethylamine\n")
    started = time.perf_counter()
    frame = io.read_table(path).frame
    assert time.perf_counter() - started < 5.0  # RDKit alone took minutes on the first line
    assert len(frame) == 2  # the two compounds are there


def test_salts_and_mixtures_are_kept_and_named():
    frame = logp_table(12)
    frame.loc[4, "smiles"] = "CCO.[Na+].[Cl-]"
    frame.loc[9, "smiles"] = "CC(=O)O.O"
    data = prepare_data(config(), frame)
    assert 4 in data.usable and data.keys[4] == "CCO.[Cl-].[Na+]"  # kept whole
    (note,) = [w for w in data.warnings if "mixtures" in w]
    assert note.startswith("2 structure(s) are mixtures of several fragments, such as salts or solvates "
                           "(first: row 5, CCO.[Na+].[Cl-])")
    assert "'Standardize structures' (--standardize) keeps only the largest organic fragment" in note

    data = prepare_data(config(standardize=True), frame)
    assert data.keys[4] == "CCO" and data.keys[9] == "CC(=O)O"
    (note,) = [w for w in data.warnings if "mixtures" in w]
    assert "standardization kept the largest organic fragment of each" in note


def test_duplicates_with_conflicting_values_are_named_with_rows_and_values():
    frame = logp_table(20)
    frame["logp"] = np.linspace(0, 4, 20)
    frame.loc[10, "smiles"] = "OCC"  # = row 1 (CCO), logp 0.0 vs 2.1: a conflict
    frame.loc[11, "smiles"] = frame.loc[12, "smiles"]  # replicates 2.32 and 2.53: within tolerance
    data = prepare_data(config(targets=["logp"]), frame)
    (dupes, conflict) = [w for w in data.warnings if "more than once" in w]
    assert dupes.startswith("2 structure(s) occur more than once")
    assert conflict.startswith("1 structure(s) occur more than once with values of 'logp' that differ by more than")
    assert "rows 1, 11 (0, 2.10526)" in conflict and "rows 12" not in conflict


def test_duplicates_in_different_classes_conflict():
    frame = logp_table(12).assign(active=["yes", "no"] * 6)
    frame.loc[5, "smiles"] = "CCO"
    data = prepare_data(config(targets=["active"]), frame)
    (conflict,) = [w for w in data.warnings if "different classes" in w]
    assert "rows 1, 6 (yes, no)" in conflict


# --- targets --------------------------------------------------------------------------

def test_missing_targets_are_left_out_and_counted(tmp_path):
    frame = logp_table(12)
    frame["logp"] = frame["logp"].astype(str)
    frame.loc[2, "logp"] = "n/a"
    frame.loc[6, "logp"] = ""
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    table = io.read_table(path).frame
    assert table["logp"].dtype == float
    data = prepare_data(config(targets=["logp"]), table)
    assert data.skipped == [(2, "no target value"), (6, "no target value")]
    assert "2 of 12 rows were left out of training: 2 with no target value (first: row 3)" in data.warnings[0]


def test_a_word_among_measured_values_is_named_with_its_row(tmp_path):
    frame = logp_table(12)
    frame["logp"] = frame["logp"].round(2).astype(str)
    frame.loc[3, "logp"] = "inactive"
    frame.loc[8, "logp"] = "n.t."
    path = tmp_path / "words.csv"
    frame.to_csv(path, index=False)
    table = io.read_table(path).frame
    message = error_of(table, targets=["logp"])
    assert message.startswith("The target column 'logp' holds text where measured values are expected: "
                              "'inactive' (row 4), 'n.t.' (row 9).")
    assert "choose classification" in message


def test_infinities_are_missing_with_a_warning_and_never_trained_on(tmp_path):
    frame = logp_table(12)
    frame["logp"] = frame["logp"].astype(str)
    frame.loc[2, "logp"] = "inf"
    frame.loc[5, "logp"] = "1e999"
    path = tmp_path / "inf.csv"
    frame.to_csv(path, index=False)
    loaded = io.read_table(path)
    (warning,) = loaded.report.warnings
    assert warning.startswith("Column 'logp' holds 2 infinite value(s)") and "in rows 3, 6" in warning
    assert "treated as missing" in warning
    final, _ = run(loaded.frame, targets=["logp"])
    assert dict(final.skipped) == {2: "target value is infinite", 5: "target value is infinite"}
    assert np.isfinite(final.test_true).all()
    assert sum(final.split_counts.values()) == 10


def test_a_constant_target_is_refused_before_any_work():
    message = error_of(logp_table(12).assign(logp=5.0), targets=["logp"])
    assert message.startswith("Every compound has the same value 5 for 'logp': there is nothing to learn.")


def test_a_target_constant_among_the_usable_rows_says_so():
    frame = logp_table(6).assign(logp=[5.0, 5.0, 5.0, 6.0, 7.0, 5.0])
    frame.loc[[3, 4], "smiles"] = "C1CC"
    message = error_of(frame, targets=["logp"])
    assert message.startswith("Every compound among the 4 of 6 rows that can be used has the same value 5 "
                              "for 'logp'")


def test_a_single_row_and_too_few_rows_for_the_split_give_the_counts():
    message = error_of(logp_table(1), targets=["logp"])
    assert message.startswith("Only 1 compound(s) have a value for 'logp'; at least 2 are needed to train.")
    frame = logp_table(3)
    frame.loc[2, "smiles"] = "C1CC"
    message = error_of(frame, targets=["logp"])
    assert message.startswith("With 2 usable compound(s) the split gives 1 training, 0 validation and 1 test "
                              "compound(s); training needs at least 2.")
    frame.loc[1, "smiles"] = ""
    message = error_of(frame, targets=["logp"], structure_column="smiles")
    assert message.startswith("Only 1 of the table's 3 row(s) can be trained on; at least 2 are needed. "
                              "Left out: 2 with an unreadable structure (first: row 2, empty structure).")


def test_a_classification_target_with_one_class_names_the_class_and_column():
    message = error_of(logp_table(12).assign(active="yes"), targets=["active"], task="classification")
    assert message.startswith("Every compound is in the same class 'yes' of 'active': a classifier needs "
                              "examples of both classes.")
    frame = logp_table(12).assign(active=[1] * 10 + [0, 0])
    frame.loc[[10, 11], "smiles"] = "C1CC"
    message = error_of(frame, targets=["active"], task="classification")
    assert message.startswith("Every compound among the 10 of 12 rows that can be used is in the same class "
                              "'1' of 'active'")
