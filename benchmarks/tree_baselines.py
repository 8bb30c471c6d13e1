"""Tree-ensemble baselines on MolStudio's own features (for ``defaults_across_sets.py``).

A random forest (scikit-learn) and gradient boosting (LightGBM, ``pip install lightgbm``) on
the same ``morgan_count,rdkit2d`` features the networks read (the table's descriptor
columns for a table without structures), trained on the same split, one model per target
(rows without a label left out). Validation rows are not used (no early stopping), so
the trees see exactly the training rows the networks see.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from molstudio.core import chem
from molstudio.core.featurize.featurizers import parse_feature_specs
from molstudio.core.featurize.pipeline import FeaturePipeline
from molstudio.core.run.metrics import classification_metrics, regression_metrics


def features(table: pd.DataFrame, smiles: str, descriptors: tuple[str, ...]) -> np.ndarray:
    if descriptors:
        return table[list(descriptors)].to_numpy(np.float32)
    parsed = chem.parse_structures(table[smiles].tolist())
    pipe = FeaturePipeline(parse_feature_specs("morgan_count,rdkit2d"))
    raw = pipe.compute(parsed.mols, parsed.canonical, None, cache=None)
    return np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def run_tree_baseline(kind: str, table: pd.DataFrame, smiles: str, descriptors: tuple[str, ...],
                      targets: list[str], task: str) -> dict:
    """Test metric and wall seconds (featurization included) of ``kind`` ("rf" or "lgbm")."""
    start = time.perf_counter()
    x = features(table, smiles, descriptors)
    train, test = (table["split"] == "train").to_numpy(), (table["split"] == "test").to_numpy()
    y = table[targets].to_numpy(float)
    pred = np.full((int(test.sum()), len(targets)), np.nan)
    for j in range(len(targets)):
        ok = train & np.isfinite(y[:, j])
        model = _model(kind, task, int(ok.sum()))
        if task == "classification" and len(np.unique(y[ok, j])) < 2:
            pred[:, j] = float(y[ok, j].mean()) if ok.any() else 0.5
            continue
        model.fit(x[ok], y[ok, j])
        pred[:, j] = model.predict_proba(x[test])[:, 1] if task == "classification" else model.predict(x[test])
    seconds = time.perf_counter() - start
    true = y[test]
    if task == "classification":
        value = classification_metrics(np.nan_to_num(true), pred, mask=~np.isnan(true))["roc_auc"]
        return {"metric": "roc_auc", "value": float(value), "seconds": seconds}
    m = regression_metrics(np.nan_to_num(true), pred, mask=~np.isnan(true))
    metric = "rmse" if len(targets) == 1 else "mae"
    return {"metric": metric, "value": float(m[metric]), "seconds": seconds}


def _model(kind: str, task: str, n: int):
    if kind == "rf":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
        return cls(n_estimators=500, max_features=0.3, min_samples_leaf=1, n_jobs=-1, random_state=0)
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if task == "classification" else lgb.LGBMRegressor
    return cls(n_estimators=600, learning_rate=0.03, num_leaves=31, min_child_samples=min(20, max(2, n // 20)),
               subsample=0.8, subsample_freq=1, colsample_bytree=0.3, random_state=0, verbose=-1, n_jobs=2)
