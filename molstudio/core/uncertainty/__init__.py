"""How far to trust a prediction, as arrays (no model): calibrated prediction intervals and
the applicability domain (nearest-neighbour Tanimoto similarity to the training set)."""

from molstudio.core.uncertainty.domain import Domain, fit_domain
from molstudio.core.uncertainty.intervals import (
    COVERAGE,
    MC_SAMPLES,
    Calibration,
    calibrate,
)

__all__ = ["COVERAGE", "MC_SAMPLES", "Calibration", "Domain", "calibrate", "fit_domain"]
