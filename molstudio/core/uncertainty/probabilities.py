"""Class probabilities that do not claim certainty outside the applicability domain.

A network is as sure of a compound unlike anything it was trained on as of its training
compounds: a probability of 0.000 for a structure from another chemical series says
nothing. Outside the domain, a probability is pulled toward the share of the class among
the training compounds, the more the further out:

    p' = w p + (1 - w) share,   w = (similarity / threshold)^2, at most 1,

so that a compound at the domain threshold or closer keeps its probability, one at half the
threshold's similarity keeps a quarter of its departure from the share, and one with nothing
in common with the training set gets the share. Its spread (an ensemble's ±) becomes the
spread of that mixture: ``sqrt(w spread^2 + w (1 - w) (p - share)^2)``, so the doubt shows.
"""

from __future__ import annotations

import numpy as np

RULE = "outside the domain, pulled toward the training share of the class by (similarity / threshold)^2"


def trust(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """The weight ``w`` of the network's probability for each compound (1 inside the domain)."""
    s = np.nan_to_num(np.asarray(similarity, np.float64), nan=1.0)
    if threshold <= 0:
        return np.ones_like(s)
    return np.clip(s / threshold, 0.0, 1.0) ** 2


def temper(prob: np.ndarray, spread: np.ndarray, similarity: np.ndarray, threshold: float,
           share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and spreads (rows x targets) after pulling out-of-domain rows toward ``share``
    (one value per target)."""
    w = trust(similarity, threshold)[:, None]
    share = np.asarray(share, np.float64)[None, :]
    tempered = w * prob + (1.0 - w) * share
    mixed = np.sqrt(w * np.nan_to_num(spread) ** 2 + w * (1.0 - w) * (prob - share) ** 2)
    return tempered, np.where(np.isnan(spread), spread, mixed)
