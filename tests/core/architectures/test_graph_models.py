"""Graph input and graph networks (dmpnn, gnn): featurization, batching, training, model files."""

import numpy as np
import pandas as pd
import pytest
import torch
from factories import SMILES, logp_table, nitrogen_table, rewrite_model_file
from rdkit import Chem
from rdkit.Chem import Descriptors

from molstudio.core.architectures import build_network
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize import graph_features as gf
from molstudio.core.featurize.featurizers import FeatureCache
from molstudio.core.inputs import make_inputs
from molstudio.core.inputs.graph import GraphInputs
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, save_model
from molstudio.core.training.loop import run_to_end

NO_BONDS = ["C", "[Na+]", "O", "[Cl-]", "[Na+].[Cl-]", "[He]"]
SMALL = {
    "dmpnn": {"hidden_size": 16, "ffn_hidden_size": 16, "depth": 2},
    "gnn": {"hidden_size": 16, "ffn_hidden_size": 16, "layers": 2},
}


def _encode(smiles, features=(), cache=None):
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    keys = [Chem.MolToSmiles(m) for m in mols]
    inputs = make_inputs("graph", [{"name": f} for f in features], {})
    encoded = inputs.encode(mols, keys, None, cache)
    inputs.fit(encoded, len(smiles))
    return inputs, encoded, inputs.to_device(encoded, torch.device("cpu"))


def _graph(inputs, stored, positions):
    return inputs.batch(stored, torch.as_tensor(positions), None)


def test_atoms_and_bonds_are_featurized_with_one_slot_per_property():
    inputs, _, stored = _encode(["c1ccccc1O", "C[NH3+]", "[Ge]"])
    g = _graph(inputs, stored, [0, 1, 2])
    assert g.x.shape == (7 + 2 + 1, gf.ATOM_FEATURES) and g.edge_attr.shape == (2 * (6 + 1 + 1), gf.BOND_FEATURES)
    starts = np.cumsum((0,) + gf.ATOM_BLOCKS)
    for a, b in zip(starts[:-1], starts[1:]):  # every one-hot block holds exactly one 1
        assert torch.all(g.x[:, a:b].sum(1) == 1)
    aromatic, ring = sum(gf.ATOM_BLOCKS), sum(gf.ATOM_BLOCKS) + 1
    assert g.x[:6, aromatic].tolist() == [1] * 6 and g.x[6:, aromatic].sum() == 0
    assert g.x[:6, ring].tolist() == [1] * 6 and g.x[6, ring] == 0
    charge = starts[2] + gf.CHARGES.index(1)
    assert g.x[8, charge] == 1 and g.x[7, charge] == 0  # the ammonium nitrogen
    assert g.x[9, starts[1] - 1] == 1  # germanium: the element block's "other" slot
    assert g.x[0, -1] == pytest.approx(12.011 * gf.MASS_SCALE, rel=1e-4)
    aromatic_bond = gf.BOND_TYPES.index(Chem.BondType.AROMATIC)
    phenol = Chem.MolFromSmiles("c1ccccc1O")
    expected = [float(b.GetIsAromatic()) for b in phenol.GetBonds() for _ in range(2)]  # edges 2k, 2k + 1
    assert g.edge_attr[:14, aromatic_bond].tolist() == expected and sum(expected) == 12


def test_edges_come_in_pairs_and_the_reverse_edge_is_index_xor_1():
    inputs, _, stored = _encode(["CC(=O)Oc1ccccc1C(=O)O", "C1CC1N"])
    g = _graph(inputs, stored, [0, 1])
    e = torch.arange(g.edge_index.shape[1])
    assert torch.equal(g.rev_edge, e ^ 1)
    assert torch.equal(g.edge_index[:, g.rev_edge], g.edge_index.flip(0))
    assert torch.equal(g.edge_attr[g.rev_edge], g.edge_attr)
    assert torch.equal(g.batch[g.edge_index[0]], g.batch[g.edge_index[1]])  # no edge between molecules


def _reference_batch(smiles, positions):
    """Each molecule's graph built on its own, batched by PyTorch Geometric's own collation."""
    from torch_geometric.data import Batch, Data

    graphs = []
    for p in positions:
        codes = gf.encode_molecule(Chem.MolFromSmiles(smiles[p]))
        ends = torch.from_numpy(codes.ends).long()
        graphs.append(Data(
            x=gf.atom_one_hot(torch.from_numpy(codes.atoms), torch.from_numpy(codes.mass)),
            edge_index=torch.stack([ends.reshape(-1), ends.flip(1).reshape(-1)]),  # bond k: edges 2k, 2k + 1
            edge_attr=gf.bond_one_hot(torch.from_numpy(codes.bonds)).repeat_interleave(2, dim=0),
        ))
    return Batch.from_data_list(graphs)


def test_vectorized_batch_equals_the_molecules_batched_one_by_one():
    smiles = SMILES[:20] + NO_BONDS
    inputs, _, stored = _encode(smiles, features=["rdkit2d"])
    positions = [21, 3, 3, 0, 20, 17, 25, 8, 22]  # any order, repeats, molecules without bonds
    g = _graph(inputs, stored, positions)
    ref = _reference_batch(smiles, positions)
    assert torch.equal(g.x, ref.x) and torch.equal(g.edge_index, ref.edge_index)
    assert torch.equal(g.edge_attr, ref.edge_attr) and torch.equal(g.batch, ref.batch)
    assert g.n_mols == len(positions) and torch.equal(g.features, stored.features[positions])
    assert g.features.shape[1] > 100


def test_molecules_without_bonds_and_single_atoms():
    inputs, encoded, stored = _encode(NO_BONDS)
    g = _graph(inputs, stored, range(len(NO_BONDS)))
    assert g.x.shape[0] == 7 and g.edge_index.shape == (2, 0) and g.edge_attr.shape == (0, gf.BOND_FEATURES)
    assert g.features.shape == (len(NO_BONDS), 0)
    for name in ("dmpnn", "gnn"):
        torch.manual_seed(0)
        net = build_network(name, SMALL[name], inputs.dims(), 2).eval()
        out = net(g)
        assert out.shape == (len(NO_BONDS), 2) and torch.isfinite(out).all()


def test_encodings_are_cached_per_canonical_smiles_and_chunks_join():
    cache = FeatureCache()
    _, first, _ = _encode(SMILES[:10], cache=cache)
    assert cache.misses == 10 and cache.hits == 0
    inputs, again, _ = _encode(SMILES[:10], cache=cache)
    assert cache.hits == 10
    joined = inputs.concat([inputs.encode([Chem.MolFromSmiles(s)], [s], None, None) for s in SMILES[:10]])
    for name in ("atoms", "mass", "bonds", "ends", "atom_offsets", "bond_offsets"):
        assert np.array_equal(getattr(joined, name), getattr(first, name))
        assert np.array_equal(getattr(again, name), getattr(first, name))


def _multitask_table() -> pd.DataFrame:
    frame = logp_table()
    frame["tpsa_like"] = frame["smiles"].str.count("O") + frame["smiles"].str.count("N")
    frame.loc[::3, "logp"] = np.nan  # missing labels in each task, never both in one row
    frame.loc[1::3, "tpsa_like"] = np.nan
    return frame


CASES = {
    "regression": (logp_table, ["logp"]),
    "classification": (nitrogen_table, ["has_n"]),
    "multitask": (_multitask_table, ["logp", "tpsa_like"]),
}


@pytest.mark.parametrize("features", [["none"], ["rdkit2d"]])
@pytest.mark.parametrize("task", list(CASES))
@pytest.mark.parametrize("model", ["dmpnn", "gnn"])
def test_graph_networks_train_on_each_task(model, task, features):
    make, targets = CASES[task]
    frame = make()
    cfg = RunConfig(model=model, targets=targets, features=features, hparams=SMALL[model],
                    training={"epochs": 8, "lr": 3e-3, "batch_size": 16, "patience": 0})
    final = run_to_end(cfg, frame)
    history = [h["train_loss"] for h in final.history]
    assert len(history) == 8 and history[-1] < history[0]  # it learns
    assert final.model.inputs.dims()["n_features"] == (0 if features == ["none"] else len(Descriptors._descList))
    out = final.model.predict_frame(frame)
    kind = "probability" if task == "classification" else "predicted"
    values = out[[f"{t}_{kind}" for t in targets]].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    if task == "classification":
        assert ((values >= 0) & (values <= 1)).all() and final.metrics["test"]["roc_auc"] is not None
    else:
        assert len(final.metrics["train"]["per_task"]) == len(targets)


@pytest.mark.parametrize("model,features", [("dmpnn", ["rdkit2d"]), ("gnn", ["none"])])
def test_model_file_round_trip_gives_identical_predictions(model, features, tmp_path):
    frame = logp_table()
    cfg = RunConfig(model=model, features=features, hparams={**SMALL[model], "batch_norm": True},
                    training={"epochs": 3, "patience": 0})
    trained = run_to_end(cfg, frame).model
    again = load_model(save_model(trained, tmp_path / "g.molstudio"))
    assert again.inputs.dims() == trained.inputs.dims()
    before, after = trained.predict_frame(frame), again.predict_frame(frame)
    np.testing.assert_array_equal(before["logp_predicted"].to_numpy(), after["logp_predicted"].to_numpy())


@pytest.mark.parametrize("model,hparams", [
    ("dmpnn", {"batch_norm": True, "aggregation": "mean"}),
    ("dmpnn", {"aggregation": "norm", "dropout": 0.3}),
    ("gnn", {"conv": "gine", "pooling": "attention", "dropout": 0.3}),
    ("gnn", {"conv": "gatv2", "heads": 2, "pooling": "max"}),
])
def test_a_prediction_does_not_depend_on_the_other_molecules_in_the_batch(model, hparams):
    smiles = SMILES[:12] + NO_BONDS[:2]
    inputs, _, stored = _encode(smiles, features=["rdkit2d"])
    torch.manual_seed(0)
    net = build_network(model, {**SMALL[model], **hparams}, inputs.dims(), 1)
    net.train()
    net(_graph(inputs, stored, range(len(smiles))))  # moves batch-norm statistics away from their start
    net.eval()
    with torch.no_grad():
        together = net(_graph(inputs, stored, range(len(smiles))))
        alone = torch.cat([net(_graph(inputs, stored, [i])) for i in range(len(smiles))])
        shuffled = net(_graph(inputs, stored, [5, 0, 13, 2]))
    torch.testing.assert_close(alone, together, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(shuffled, together[[5, 0, 13, 2]], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("edit", [
    lambda m: m["inputs"].update(atom_features=10**9),
    lambda m: m["inputs"].update(bond_features="14"),
    lambda m: m["inputs"].update(n_features=3),
    lambda m: m["inputs"].pop("atom_features"),
    lambda m: m["inputs"].update(featurization=99),
    lambda m: m["hparams"].update(hidden_size=24),
])
def test_a_model_file_declaring_inconsistent_graph_sizes_is_refused(edit, tmp_path):
    cfg = RunConfig(model="dmpnn", hparams=SMALL["dmpnn"], training={"epochs": 1})
    good = save_model(run_to_end(cfg, logp_table(30)).model, tmp_path / "good.molstudio")
    with pytest.raises(MolStudioError, match="damaged or was altered"):
        load_model(rewrite_model_file(good, tmp_path / "bad.molstudio", edit))


def test_graph_inputs_refuse_feature_statistics_of_the_wrong_size():
    inputs = GraphInputs([{"name": "rdkit2d"}], {})
    manifest = {"kind": "graph", "featurization": gf.VERSION, **inputs.dims()}
    stats = {f"features.{k}": np.zeros(5, np.float32) for k in ("median", "low", "high", "scale", "constant")}
    with pytest.raises(ValueError, match=str(len(Descriptors._descList))):
        inputs.load(manifest, stats)


def test_attention_heads_must_divide_the_hidden_size():
    dims = GraphInputs([], {}).dims()
    with pytest.raises(MolStudioError, match="multiple of the number of heads"):
        build_network("gnn", {"conv": "gatv2", "hidden_size": 30, "heads": 4}, dims, 1)
