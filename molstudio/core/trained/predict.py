"""Prediction over tables and files of any size.

The output keeps every input row and column in input order and adds the prediction
columns; rows whose structure cannot be read stay in place, flagged in
``not_predicted_because``. Files are streamed in chunks, so memory stays flat, and the
output is written atomically and never over the input file.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import CACHE, FeatureCache
from molstudio.core.tables import reading as io
from molstudio.core.trained.model import ERROR_COLUMN, TrainedModel, count_outside

ProgressFn = Callable[[int], None]


@dataclass
class PredictionSummary:
    rows: int
    flagged: int
    seconds: float
    outside: int = 0  # predicted compounds outside the applicability domain

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def predict_table(
    model: TrainedModel, frame: pd.DataFrame, cache: FeatureCache | None = CACHE, structure_column: str | None = None,
    mc_dropout: bool = False,
) -> pd.DataFrame:
    """``frame`` with the prediction columns added (existing ones of the same name replaced).

    A table that lacks what the model reads is refused (:meth:`TrainedModel.check_table`);
    ``mc_dropout`` as in :meth:`TrainedModel.predict_frame`.
    """
    preds = model.predict_frame(frame, cache=cache, structure_column=structure_column, mc_dropout=mc_dropout)
    kept = frame.drop(columns=[c for c in preds.columns if c in frame.columns])
    return pd.concat([kept, preds], axis=1)


def predict_file(
    model: TrainedModel,
    in_path: str | Path,
    out_path: str | Path,
    chunk_rows: int = 20000,
    images: bool = False,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    mc_dropout: bool = False,
) -> PredictionSummary:
    """Predict every row of ``in_path`` and write ``out_path`` (CSV, TSV, XLSX, SDF, SMI);
    ``mc_dropout`` as in :meth:`TrainedModel.predict_frame`."""
    in_path, out_path = Path(in_path), Path(out_path)
    start = time.perf_counter()
    rows = flagged = outside = 0
    chunks = io.iter_table_chunks(in_path, chunk_rows)
    try:
        first = next(chunks)
    except StopIteration:
        raise MolStudioError(f"{in_path.name} holds no rows to predict.") from None
    model.interval_method(mc_dropout)  # refuses MC-dropout for a model without dropout before reading further
    structure = model.check_table(first)  # before the output file is created; every chunk reads this column
    out_first = predict_table(model, first, cache=None, structure_column=structure, mc_dropout=mc_dropout)
    with io.open_table_writer(
        out_path, list(out_first.columns), structure_column=structure, images=images, forbid=in_path
    ) as writer:
        chunk_out = out_first
        while True:
            writer.write(chunk_out)
            rows += len(chunk_out)
            flagged += int((chunk_out[ERROR_COLUMN] != "").sum())
            outside += count_outside(chunk_out)
            if progress is not None:
                progress(rows)
            if cancel is not None and cancel.is_set():
                raise MolStudioError("Prediction was cancelled; no output file was written.")
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            chunk_out = predict_table(model, chunk, cache=None, structure_column=structure, mc_dropout=mc_dropout)
    return PredictionSummary(rows, flagged, time.perf_counter() - start, outside)
