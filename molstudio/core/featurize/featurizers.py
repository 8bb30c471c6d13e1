"""Featurizers: turn molecules (or a table's own columns) into feature vectors.

Each featurizer is registered by name with a parameter schema. A run's features are
a list of *specs* such as ``morgan_count(radius=2,size=2048)`` or ``rdkit2d``;
:class:`FeaturePipeline` computes and concatenates them and scales the continuous
blocks with statistics fitted on the training rows only.
"""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema
from molstudio.core.registry import Registry

ProgressFn = Callable[[int, int], None]


class Featurizer:
    """Base class: computes an (n, d) float32 matrix; NaN marks a value that could not be computed."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    schema: ClassVar[Schema] = Schema()
    needs_structures: ClassVar[bool] = True
    #: continuous blocks are imputed and robustly scaled; count/bit blocks are not
    continuous: ClassVar[bool] = False
    #: whether values depend only on the molecule (and so can be cached per molecule)
    per_molecule: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        self.params = self.schema.resolve(params)

    @property
    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}

    @property
    def key(self) -> str:
        return json.dumps(self.spec, sort_keys=True)

    def feature_names(self) -> list[str]:
        raise NotImplementedError

    def compute(self, mols: Sequence[Chem.Mol | None], frame: pd.DataFrame | None) -> np.ndarray:
        """One row per molecule; only featurizers that do not need structures are given None molecules."""
        raise NotImplementedError


FEATURIZERS: Registry[Featurizer] = Registry("featurizer")


class _Morgan(Featurizer):
    schema = Schema(
        [
            Param("radius", "int", 2, low=1, high=6, help="Bond radius of the circular environments (2 = ECFP4)."),
            Param("size", "int", 2048, low=64, high=16384, help="Length of the fingerprint."),
        ]
    )
    counts: ClassVar[bool] = True

    def _generator(self):
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=self.params["radius"], fpSize=self.params["size"]
        )

    def feature_names(self) -> list[str]:
        prefix = "mc" if self.counts else "mb"
        return [f"{prefix}{self.params['radius']}_{i}" for i in range(self.params["size"])]

    def compute(self, mols, frame=None):
        gen = self._generator()
        get = gen.GetCountFingerprintAsNumPy if self.counts else gen.GetFingerprintAsNumPy
        out = np.zeros((len(mols), self.params["size"]), dtype=np.float32)
        for i, mol in enumerate(mols):
            out[i] = get(mol)
        return out


@FEATURIZERS.register("morgan_count")
class MorganCount(_Morgan):
    description = "Morgan (ECFP-like) fingerprint with substructure counts."


@FEATURIZERS.register("morgan_bits")
class MorganBits(_Morgan):
    description = "Morgan (ECFP-like) fingerprint, bits on/off."
    counts = False


def _descriptor_rows(smiles: list[str]) -> np.ndarray:
    """RDKit 2D descriptors for a list of SMILES (what worker processes run)."""
    return _descriptor_matrix([Chem.MolFromSmiles(s) for s in smiles])


def _descriptor_matrix(mols: Sequence[Chem.Mol | None]) -> np.ndarray:
    funcs = [f for _, f in Descriptors._descList]
    out = np.full((len(mols), len(funcs)), np.nan, dtype=np.float64)
    with rdBase.BlockLogs():
        _fill_descriptors(mols, funcs, out)
    with np.errstate(over="ignore", invalid="ignore"):
        out = out.astype(np.float32)
    out[~np.isfinite(out)] = np.nan
    return out


def _fill_descriptors(mols: Sequence[Chem.Mol | None], funcs: list, out: np.ndarray) -> None:
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        for j, fn in enumerate(funcs):
            try:
                out[i, j] = fn(mol)
            except Exception:  # RDKit raises on some exotic molecules; leave NaN, imputed later
                pass


@FEATURIZERS.register("rdkit2d")
class RDKit2D(Featurizer):
    description = "RDKit's 2D descriptors (molecular weight, logP, TPSA, counts, ...)."
    continuous = True
    #: below this many molecules a process pool costs more than it saves
    parallel_threshold: ClassVar[int] = 1500

    def feature_names(self) -> list[str]:
        return [name for name, _ in Descriptors._descList]

    def compute(self, mols, frame=None):
        workers = min(os.cpu_count() or 1, 8)
        if len(mols) < self.parallel_threshold or workers < 2:
            return _descriptor_matrix(mols)
        smiles = [Chem.MolToSmiles(m) for m in mols]
        chunks = np.array_split(np.arange(len(smiles)), workers * 4)
        try:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                parts = pool.map(_descriptor_rows, [[smiles[i] for i in c] for c in chunks])
                return np.concatenate(list(parts), axis=0)
        except (BrokenProcessPool, OSError, RuntimeError):
            # worker processes cannot start in every host (an embedded or frozen interpreter)
            return _descriptor_matrix(mols)


@FEATURIZERS.register("columns")
class DescriptorColumns(Featurizer):
    description = "Numeric columns of the table itself (your own descriptors)."
    schema = Schema([Param("columns", "str", "", help="Comma-separated column names.")])
    needs_structures = False
    continuous = True
    per_molecule = False

    @property
    def column_list(self) -> list[str]:
        return [c.strip() for c in str(self.params["columns"]).split(",") if c.strip()]

    def feature_names(self) -> list[str]:
        return self.column_list

    def compute(self, mols, frame=None):
        missing = [c for c in self.column_list if frame is None or c not in frame.columns]
        if missing:
            raise MolStudioError(
                f"The descriptor column(s) {', '.join(missing)} are missing from the table.",
                hint="The model was trained with these columns; the new table must have them too.",
            )
        values = frame[self.column_list].apply(pd.to_numeric, errors="coerce")
        out = np.array(values.to_numpy(dtype=np.float32, na_value=np.nan), copy=True)
        out[~np.isfinite(out)] = np.nan
        return out


_SPEC = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\((.*)\))?\s*$")


def parse_feature_specs(text: str | Sequence[str | dict]) -> list[dict[str, Any]]:
    """Parse ``"morgan_count(radius=3,size=1024),rdkit2d"`` (or a list) into spec dicts."""
    items: Sequence[str | dict]
    if isinstance(text, str):
        items = split_top_level(text)
    else:
        items = list(text)
    specs: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            spec = dict(item)
        else:
            match = _SPEC.match(item)
            if not match:
                raise MolStudioError(f"Cannot read the feature description '{item}'.")
            spec = {"name": match.group(1)}
            for part in split_top_level(match.group(2) or "", sep=";" if ";" in (match.group(2) or "") else ","):
                if "=" not in part:
                    raise MolStudioError(f"Cannot read '{part}' in the features '{item}' (expected key=value).")
                key, value = part.split("=", 1)
                spec[key.strip()] = value.strip()
        cls = FEATURIZERS.get(spec["name"])
        specs.append(cls(**{k: v for k, v in spec.items() if k != "name"}).spec)
    if not specs:
        raise MolStudioError("No features were chosen.")
    return specs


def split_top_level(text: str, sep: str = ",") -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == sep and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def make_featurizer(spec: dict[str, Any]) -> Featurizer:
    cls = FEATURIZERS.get(spec["name"])
    return cls(**{k: v for k, v in spec.items() if k != "name"})


class FeatureCache:
    """Per-(molecule, featurizer spec) cache of feature rows, bounded in bytes (LRU)."""

    def __init__(self, max_bytes: int = 768 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str, smiles: str) -> np.ndarray | None:
        row = self._rows.get((key, smiles))
        if row is None:
            self.misses += 1
            return None
        self._rows.move_to_end((key, smiles))
        self.hits += 1
        return row

    def put(self, key: str, smiles: str, row: np.ndarray) -> None:
        if (key, smiles) in self._rows:
            return
        self._rows[(key, smiles)] = row
        self._bytes += row.nbytes
        while self._bytes > self.max_bytes and self._rows:
            _, old = self._rows.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._rows.clear()
        self._bytes = 0


CACHE = FeatureCache()


def compute_block(
    featurizer: Featurizer,
    mols: Sequence[Chem.Mol | None],
    keys: Sequence[str | None],
    frame: pd.DataFrame | None,
    cache: FeatureCache | None = CACHE,
) -> np.ndarray:
    """One featurizer's matrix for all rows; rows without a molecule come out NaN."""
    n = len(mols)
    if not featurizer.needs_structures:
        return featurizer.compute(mols, frame)
    if cache is None and all(mol is not None for mol in mols):
        return featurizer.compute(list(mols), None)  # no second matrix of a chunk's size to fill
    width = len(featurizer.feature_names())
    out = np.full((n, width), np.nan, dtype=np.float32)
    todo: list[int] = []
    for i, (mol, key) in enumerate(zip(mols, keys)):
        if mol is None:
            continue
        row = cache.get(featurizer.key, key) if (cache is not None and key) else None
        if row is None:
            todo.append(i)
        else:
            out[i] = row
    if todo:
        computed = featurizer.compute([mols[i] for i in todo], None)
        out[todo] = computed
        if cache is not None:
            for i, row in zip(todo, computed):
                key = keys[i]
                if key:
                    cache.put(featurizer.key, key, row)
    return out
