"""The interval calibration as arrays: it follows an ensemble's spread as far as the spread
tracks the error, so that a spread that does not cannot give a few compounds huge intervals."""

import numpy as np
import pytest

from molstudio.core.uncertainty.intervals import Calibration, calibrate


def _validation(n: int, informative: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    spread = rng.lognormal(-1.0, 0.8, (n, 1))
    sigma = spread if informative else np.full((n, 1), float(np.median(spread)))
    err = rng.normal(0.0, 1.0, (n, 1)) * sigma
    return err, spread


def _mean_width(cal: Calibration, spread: np.ndarray) -> float:
    lo, hi = cal.interval("ensemble", np.zeros_like(spread), spread, None)
    return float(np.mean(hi - lo))


@pytest.mark.parametrize("informative", [True, False])
def test_the_spread_is_followed_as_far_as_it_tracks_the_error(informative):
    err, spread = _validation(4000, informative)
    cal = calibrate(err, np.zeros_like(err), spread, None)
    fit = cal.fits["ensemble"]
    assert fit.mix[0] == (1.0 if informative else 0.0)
    assert fit.coverage[0] == pytest.approx(0.9, abs=0.01)
    # on new compounds of the same kind the interval holds ~90 %
    new_err, new_spread = _validation(4000, informative, seed=1)
    lo, hi = cal.interval("ensemble", np.zeros_like(new_err), new_spread, None)
    assert np.mean((new_err >= lo) & (new_err <= hi)) == pytest.approx(0.9, abs=0.02)


def test_an_uninformative_spread_gives_narrower_intervals_than_following_it_blindly():
    err, spread = _validation(2000, informative=False)
    chosen = calibrate(err, np.zeros_like(err), spread, None)
    blind = Calibration.from_manifest(chosen.manifest())
    blind.fits["ensemble"].mix = []  # a model file from before: the spread followed fully
    blind.fits["ensemble"].k = [float(np.quantile(np.abs(err[:, 0]) / np.maximum(spread[:, 0], 1e-6), 0.9))]
    assert _mean_width(chosen, spread) < 0.8 * _mean_width(blind, spread)
    lo, hi = chosen.interval("ensemble", np.zeros_like(spread), spread, None)
    assert np.max(hi - lo) < 1.01 * np.min(hi - lo) * 1.0 + 1e-9  # a constant width: the spread is ignored


def test_the_calibration_travels_through_the_manifest_and_old_ones_still_read():
    err, spread = _validation(500, informative=True)
    cal = calibrate(err, np.zeros_like(err), spread, None)
    again = Calibration.from_manifest(cal.manifest())
    p = np.zeros_like(spread)
    assert np.allclose(cal.interval("ensemble", p, spread, None), again.interval("ensemble", p, spread, None))
    old = cal.manifest()
    for key in ("mix", "typical"):
        del old["methods"]["ensemble"][key]
    assert Calibration.from_manifest(old).fits["ensemble"].mix == []
