"""Which features a descriptor or fingerprint model relies on.

:func:`permutation_importance` measures, on a labelled table (the user's validation or test
compounds), how much worse the model gets when one feature's values are shuffled between
the compounds (scikit-learn's definition: the score with the real values minus the score
with the shuffled ones, mean and spread over ``repeats`` shuffles). Features are named as
a chemist reads them: RDKit descriptor names, the table's own column names, and fingerprint
bits as "Morgan bit 1234 (radius 2)" with an example of the substructure that sets the bit
in the compounds given. :func:`permutation_importance_steps` is the same work as a
generator of progress reports that a Stop button can interrupt (``cancel``).

:func:`shap_values` gives SHAP values (the optional ``shap`` package, DeepExplainer).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molstudio.core import chem
from molstudio.core.cancel import Cancelled, check
from molstudio.core.errors import MolStudioError
from molstudio.core.explain.masking import environment_atoms
from molstudio.core.featurize.featurizers import CACHE, _Morgan
from molstudio.core.inputs.vector import VectorInputs
from molstudio.core.run.prepare import parse_targets
from molstudio.core.trained.model import TrainedModel
from molstudio.core.training.reports import StageReport

__all__ = ["FeatureImportance", "ShapValues", "permutation_importance", "permutation_importance_steps",
           "shap_values"]

#: values per permuted block predicted at once (bounds memory: 4 bytes each)
_BLOCK_VALUES = 16_000_000


@dataclass
class FeatureImportance:
    """The result: ``table`` has one row per feature, most important first (columns feature,
    importance_mean, importance_std, metric, example)."""

    table: pd.DataFrame
    target: str
    metric: str
    baseline: float
    compounds: int


@dataclass
class _Encoded:
    x: np.ndarray  # (n, F) scaled features, what the network reads
    y: np.ndarray  # (n,) target values (0/1 for classification)
    mols: list[Chem.Mol | None]
    target: str
    column: int
    rows: pd.Index  # the compounds' labels in the table


def permutation_importance(
    model: TrainedModel, frame: pd.DataFrame, target: str | None = None, repeats: int = 5, seed: int = 0,
    cancel: threading.Event | None = None,
) -> pd.DataFrame:
    """The importance table of :func:`permutation_importance_steps` (a stop raises MolStudioError)."""
    for report in permutation_importance_steps(model, frame, target, repeats, seed, cancel):
        if isinstance(report, FeatureImportance):
            return report.table
    raise MolStudioError("Feature importance was stopped before it finished.")


def permutation_importance_steps(
    model: TrainedModel, frame: pd.DataFrame, target: str | None = None, repeats: int = 5, seed: int = 0,
    cancel: threading.Event | None = None,
) -> Iterator[StageReport | FeatureImportance]:
    """Progress (:class:`StageReport`) and finally the :class:`FeatureImportance`.

    ``frame`` must hold the compounds' structures (if the model reads them), the descriptor
    columns the model reads and the measured ``target`` (the model's first by default); rows
    lacking any of these are left out. A regression is scored by RMSE (importance: how much it
    rises), a classification by ROC AUC (importance: how much it falls). Setting ``cancel``
    ends the generator without a result.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise MolStudioError(f"The number of shuffles per feature must be a whole number of at least 1 "
                             f"(got {repeats!r}).")
    yield StageReport("Reading compounds")
    data = _encode(model, frame, target)
    score, metric, higher = _scorer(model, data)
    baseline = score(_predict(model, data.x, data.column))
    n, width = data.x.shape
    varying = np.flatnonzero(np.ptp(data.x, axis=0) > 0)  # shuffling a constant column changes nothing
    drops = np.zeros((width, repeats))
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK_VALUES // max(1, n * width * repeats))
    total = len(varying)
    try:
        for start in range(0, total, per_block):
            check(cancel)
            features = varying[start : start + per_block]
            shuffled = np.repeat(data.x[None], len(features) * repeats, axis=0)
            for k, f in enumerate(features):
                for r in range(repeats):
                    shuffled[k * repeats + r, :, f] = data.x[rng.permutation(n), f]
            preds = _predict(model, shuffled.reshape(-1, width), data.column).reshape(len(features), repeats, n)
            for k, f in enumerate(features):
                scores = np.array([score(preds[k, r]) for r in range(repeats)])
                drops[f] = baseline - scores if higher else scores - baseline
            yield StageReport("Shuffling features", min(start + per_block, total), total)
        check(cancel)
    except Cancelled:
        return
    names, examples = _feature_names(model, data.mols)
    table = pd.DataFrame({
        "feature": names, "importance_mean": drops.mean(axis=1), "importance_std": drops.std(axis=1),
        "metric": metric, "example": examples,
    }).sort_values("importance_mean", ascending=False, kind="stable").reset_index(drop=True)
    yield FeatureImportance(table, data.target, metric, float(baseline), n)


@dataclass
class ShapValues:
    """SHAP values: ``values`` has one row per compound (the table's index) and one column per
    feature; ``base_value`` plus a row's sum is the network's output for it, in ``units``."""

    values: pd.DataFrame
    base_value: float
    units: str


def shap_values(model: TrainedModel, frame: pd.DataFrame, target: str | None = None, background: int = 100,
                seed: int = 0) -> ShapValues:
    """SHAP values (``shap``'s DeepExplainer) of each compound of ``frame`` and each feature.

    The reference ("background") is up to ``background`` of the table's compounds, drawn with
    ``seed``. Regression values are in the target's units; classification values in log-odds.
    An ensemble's values are the mean of its networks'. Needs the optional ``shap`` package.
    """
    try:
        import shap
    except ImportError:
        raise MolStudioError("SHAP values need the optional 'shap' package, which is not installed.",
                             hint="Install it with: pip install 'molstudio[explain]' (or pip install shap).") from None
    data = _encode(model, frame, target, need_target=False)
    n = len(data.x)
    rng = np.random.default_rng(seed)
    reference = torch.from_numpy(data.x[np.sort(rng.permutation(n)[: max(1, background)])]).to(model.device)
    x = torch.from_numpy(data.x).to(model.device)
    values, bases = [], []
    for network in model.networks:
        network.eval()
        explainer = shap.DeepExplainer(network, reference)
        raw = np.asarray(explainer.shap_values(x, check_additivity=False)).reshape(n, data.x.shape[1], -1)
        values.append(raw[:, :, data.column])
        bases.append(float(np.ravel(explainer.expected_value)[data.column]))
    scale = 1.0 if model.task == "classification" else float(model.y_std[data.column])
    offset = 0.0 if model.task == "classification" else float(model.y_mean[data.column])
    names, _ = _feature_names(model, [])
    table = pd.DataFrame(np.mean(values, axis=0) * scale, index=data.rows, columns=names)
    units = "log-odds" if model.task == "classification" else f"units of {data.target}"
    return ShapValues(table, float(np.mean(bases)) * scale + offset, units)


def _encode(model: TrainedModel, frame: pd.DataFrame, target: str | None, need_target: bool = True) -> _Encoded:
    if not isinstance(model.inputs, VectorInputs):
        raise MolStudioError(
            f"Feature importance is for models on descriptors or fingerprints; this {model.config.model} model "
            "reads the structures themselves.", hint="Look at its atom contributions instead.")
    if target is not None and target not in model.targets:
        raise MolStudioError(f"The model does not predict '{target}'; it predicts {', '.join(model.targets)}.")
    name = target or model.targets[0]
    column = model.targets.index(name)
    if need_target and name not in frame.columns:
        raise MolStudioError(
            f"Feature importance compares predictions with measured values, and the table has no column '{name}'.",
            hint="Use a table of compounds with measured values, e.g. your validation or test compounds.")
    structure = model.check_table(frame)
    ok = np.ones(len(frame), bool)
    mols: list[Chem.Mol | None] = [None] * len(frame)
    keys: list[str | None] = [None] * len(frame)
    if structure is not None:
        kind = "molblock" if structure == "molblock" else "smiles"
        parsed = chem.parse_structures(frame[structure].tolist(), kind=kind, standardize=model.config.standardize)
        mols, keys = parsed.mols, parsed.canonical
        ok &= np.array([m is not None for m in mols])
    for col in model.inputs.descriptor_columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        ok &= (values.notna() | frame[col].isna()).to_numpy()  # text is unusable; an empty cell is imputed
    y = np.zeros(len(frame))
    if need_target:
        classes = [model.classes[column]] if model.classes else None
        y = parse_targets(frame, [name], model.task, classes)[0][:, 0].astype(np.float64)
        ok &= np.isfinite(y)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        raise MolStudioError(f"The table has {len(idx)} compound(s) with a readable structure and a measured "
                             f"'{name}'; feature importance needs several.")
    sub = frame.iloc[idx] if model.inputs.descriptor_columns else None
    raw = model.inputs.encode([mols[i] for i in idx], [keys[i] for i in idx], sub, CACHE)
    x = model.inputs.pipeline.transform(raw)
    return _Encoded(np.ascontiguousarray(x, np.float32), y[idx], [mols[i] for i in idx], name, column,
                    frame.index[idx])


def _predict(model: TrainedModel, x: np.ndarray, column: int) -> np.ndarray:
    stored = torch.from_numpy(x).to(model.device)
    return model.predict_stored(stored, len(x))[0][:, column]


def _scorer(model: TrainedModel, data: _Encoded):
    """(score function, metric in words, whether higher is better)."""
    if model.task == "classification":
        from sklearn.metrics import roc_auc_score

        if len(np.unique(data.y)) < 2:
            raise MolStudioError(f"All compounds of the table are in one class of '{data.target}'; feature "
                                 "importance by ROC AUC needs compounds of both classes.")
        return (lambda p: float(roc_auc_score(data.y, p))), f"decrease in ROC AUC of {data.target}", True
    return (lambda p: float(np.sqrt(np.mean((p - data.y) ** 2)))), f"increase in RMSE of {data.target}", False


def _feature_names(model: TrainedModel, mols: list[Chem.Mol | None]) -> tuple[list[str], list[str]]:
    """Readable feature names and, for fingerprint bits, a substructure that sets the bit in ``mols``."""
    names: list[str] = []
    examples: list[str] = []
    for featurizer in model.inputs.pipeline.featurizers:
        if isinstance(featurizer, _Morgan):
            radius, size = featurizer.params["radius"], featurizer.params["size"]
            kind = "Morgan count bit" if featurizer.counts else "Morgan bit"
            names += [f"{kind} {i} (radius {radius})" for i in range(size)]
            examples += _bit_examples(mols, radius, size)
        else:
            found = featurizer.feature_names()
            names += found
            examples += [""] * len(found)
    return names, examples


def _bit_examples(mols: list[Chem.Mol | None], radius: int, size: int) -> list[str]:
    """Per bit, the SMILES of the first environment among ``mols`` that sets it ("" if none does)."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
    out = [""] * size
    for mol in mols:
        if mol is None:
            continue
        extra = rdFingerprintGenerator.AdditionalOutput()
        extra.AllocateBitInfoMap()
        generator.GetCountFingerprintAsNumPy(mol, additionalOutput=extra)
        for bit, environments in extra.GetBitInfoMap().items():
            if not out[bit]:
                centre, r = environments[0]
                atoms = sorted(environment_atoms(mol, centre, r))
                bonds = list(Chem.FindAtomEnvironmentOfRadiusN(mol, r, centre)) if r else []
                out[bit] = Chem.MolFragmentToSmiles(mol, atomsToUse=atoms, bondsToUse=bonds or None,
                                                    rootedAtAtom=centre)
    return out
