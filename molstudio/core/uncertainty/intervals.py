"""Prediction intervals for regression, calibrated on the validation compounds.

Each prediction gets ``<target>_lower`` and ``<target>_upper``: an interval meant to hold
the measured value for :data:`COVERAGE` (90 %) of compounds like the validation ones. Its
half-width is ``k * scale * difficulty``:

- ``scale`` is ``mix * spread + (1 - mix) * typical`` for an ensemble (``spread`` the
  members' standard deviation) or a single network predicted with MC-dropout (the spread of
  :data:`MC_SAMPLES` passes with dropout on), and 1 otherwise. ``typical`` is the median
  validation spread; a spread is never taken below ``floor`` (a tenth of it), so that a
  compound on which the members happen to agree does not get an interval of zero width.
  ``mix`` is the one of :data:`MIXES` whose intervals cover the validation compounds of low,
  middle and high spread most evenly (then the narrowest): how far the spread is worth
  following depends on the model, and a spread that barely tracks the error would
  otherwise give a few compounds intervals tens of units wide.
- ``difficulty`` is ``1 - similarity + offset``, with ``similarity`` the Tanimoto
  similarity to the nearest training compound (:mod:`molstudio.core.uncertainty.domain`) and
  ``offset`` the median validation distance (at least 0.05): the further a compound is
  from the training set, the wider its interval. A model without structures has a
  difficulty of 1.
- ``k`` is the smallest factor for which the interval holds the measured value of 90 %
  of the validation compounds (the split-conformal quantile, ``ceil((n + 1) * 0.9)``-th
  smallest of the validation errors divided by ``scale * difficulty``).

Classification models get no interval (their probability says it); they keep the domain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

COVERAGE = 0.9
MC_SAMPLES = 20
MIN_OFFSET = 0.05
FLOOR_FRACTION = 0.1
MAX_VALIDATION = 5000  # validation compounds used for the domain threshold and the calibration (seeded sample)
METHODS = ("residual", "ensemble", "mc_dropout")
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class ScaleFit:
    """The calibration of one way of estimating ``scale``, one value per target."""

    k: list[float]
    floor: list[float]
    samples: int = 0  # MC-dropout passes (0 otherwise)
    coverage: list[float] = field(default_factory=list)  # reached on the validation compounds
    mix: list[float] = field(default_factory=list)  # weight of the spread against the typical one (empty: 1)
    typical: list[float] = field(default_factory=list)  # median validation spread

    def scale(self, method: str, spread: np.ndarray) -> np.ndarray:
        """``scale`` per row and target for predictions with ``spread`` (rows x targets)."""
        base = _scale(method, spread, np.asarray(self.floor))
        if method == "residual" or not self.mix:
            return base
        mix, typical = np.asarray(self.mix)[None, :], np.asarray(self.typical)[None, :]
        return mix * base + (1.0 - mix) * typical

    def manifest(self) -> dict[str, Any]:
        return {"k": self.k, "floor": self.floor, "samples": self.samples, "validation_coverage": self.coverage,
                **({"mix": self.mix, "typical": self.typical} if self.mix else {})}


@dataclass
class Calibration:
    coverage: float
    offset: float | None  # None: the model has no domain (no structures)
    fits: dict[str, ScaleFit]
    validation_compounds: int

    def difficulty(self, similarity: np.ndarray | None, n: int) -> np.ndarray:
        if self.offset is None or similarity is None:
            return np.ones(n)
        return 1.0 - np.asarray(similarity, np.float64) + self.offset

    def interval(self, method: str, pred: np.ndarray, spread: np.ndarray,
                 similarity: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds for predictions ``pred`` (rows x targets)."""
        fit = self.fits[method]
        scale = fit.scale(method, spread)
        half = np.asarray(fit.k)[None, :] * scale * self.difficulty(similarity, len(pred))[:, None]
        return pred - half, pred + half

    def manifest(self) -> dict[str, Any]:
        return {"coverage": self.coverage, "offset": self.offset, "validation_compounds": self.validation_compounds,
                "methods": {name: fit.manifest() for name, fit in self.fits.items()}}

    @classmethod
    def from_manifest(cls, m: dict[str, Any]) -> Calibration:
        def floats(f: dict[str, Any], key: str) -> list[float]:
            return [float(v) for v in f.get(key, [])]

        fits = {name: ScaleFit(floats(f, "k"), floats(f, "floor"), int(f["samples"]), floats(f, "validation_coverage"),
                               floats(f, "mix"), floats(f, "typical"))
                for name, f in m["methods"].items()}
        return cls(float(m["coverage"]), None if m["offset"] is None else float(m["offset"]), fits,
                   int(m["validation_compounds"]))


def _scale(method: str, spread: np.ndarray, floor: np.ndarray) -> np.ndarray:
    if method == "residual":
        return np.ones_like(spread)
    return np.maximum(spread, floor[None, :])


def _quantile_factor(r: np.ndarray, coverage: float) -> float:
    """The split-conformal factor: the ``ceil((n + 1) * coverage)``-th smallest ratio."""
    if len(r) == 0:
        return 0.0
    rank = min(len(r), math.ceil((len(r) + 1) * coverage))
    return float(np.sort(r)[rank - 1])


def _imbalance(inside: np.ndarray, spread: np.ndarray, coverage: float) -> float:
    """How unevenly the intervals cover compounds of low, middle and high spread (the squared
    departures from ``coverage`` of each third, rounded so that noise of a few compounds
    does not decide): an interval should hold 9 in 10 where the networks agree and where
    they do not, not 10 in 10 of the one and 8 in 10 of the other."""
    if len(inside) < 3:
        return 0.0
    thirds = np.array_split(np.argsort(spread, kind="stable"), 3)
    return round(sum((float(np.mean(inside[t])) - coverage) ** 2 for t in thirds), 3)


def _fit(method: str, err: np.ndarray, spread: np.ndarray, difficulty: np.ndarray,
         coverage: float, samples: int = 0) -> ScaleFit:
    """``k`` (and ``mix``) per target so that ``|err| <= k * scale * difficulty`` for ``coverage`` of the rows."""
    ks, floors, reached, mixes, typicals = [], [], [], [], []
    for j in range(err.shape[1]):
        ok = np.isfinite(err[:, j])
        e, d = np.abs(err[ok, j]), difficulty[ok]
        options: tuple[float, ...]
        if method == "residual":
            floor, typical, options = 0.0, 1.0, (1.0,)
        else:
            typical = max(float(np.median(spread[ok, j])) if ok.any() else 0.0, 1e-6)
            floor, options = max(FLOOR_FRACTION * typical, 1e-6), MIXES
        base = _scale(method, spread[ok][:, [j]], np.array([floor]))[:, 0]
        best: tuple[float, float, float, float, float] | None = None  # imbalance, mean half-width, k, mix, reached
        for mix in options:
            s = (mix * base + (1.0 - mix) * typical) * d
            r = e / s
            k = _quantile_factor(r, coverage)
            inside = r <= k  # as the quantile counts them: the compound that sets k is inside
            score = (_imbalance(inside, base, coverage), k * float(np.mean(s)) if len(s) else 0.0, k, mix,
                     float(np.mean(inside)) if len(s) else 0.0)
            if best is None or score[:2] < best[:2]:
                best = score
        assert best is not None
        _, _, k, mix, covered = best
        ks.append(k)
        floors.append(floor)
        mixes.append(mix)
        typicals.append(typical)
        reached.append(covered)
    if method == "residual":
        return ScaleFit(ks, floors, samples, reached)
    return ScaleFit(ks, floors, samples, reached, mixes, typicals)


def calibrate(
    val_true: np.ndarray, val_pred: np.ndarray, val_spread: np.ndarray | None, val_similarity: np.ndarray | None,
    mc: tuple[np.ndarray, np.ndarray, int] | None = None, coverage: float = COVERAGE,
) -> Calibration | None:
    """The interval calibration on the validation compounds; None without any.

    ``val_spread`` is the ensemble spread (None for one network); ``mc`` the MC-dropout
    mean, spread and number of passes on the same compounds (None when the network has
    no dropout); ``val_similarity`` the nearest-training similarities (None without
    structures).
    """
    n = len(val_true)
    if n == 0 or not np.isfinite(val_true).any():
        return None
    offset = None
    if val_similarity is not None and np.isfinite(val_similarity).any():
        distance = 1.0 - val_similarity[np.isfinite(val_similarity)]
        offset = max(float(np.median(distance)), MIN_OFFSET)
        val_similarity = np.where(np.isfinite(val_similarity), val_similarity, 0.0)
    else:
        val_similarity = None
    cal = Calibration(coverage, offset, {}, n)
    difficulty = cal.difficulty(val_similarity, n)
    err = val_true - val_pred
    if val_spread is not None:
        cal.fits["ensemble"] = _fit("ensemble", err, val_spread, difficulty, coverage)
    else:
        cal.fits["residual"] = _fit("residual", err, np.zeros_like(err), difficulty, coverage)
        if mc is not None:
            mc_pred, mc_spread, samples = mc
            cal.fits["mc_dropout"] = _fit("mc_dropout", val_true - mc_pred, mc_spread, difficulty, coverage, samples)
    return cal
