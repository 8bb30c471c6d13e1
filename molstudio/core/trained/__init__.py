"""A trained model: fitted inputs, networks and target scaling (:class:`TrainedModel`), the
one ``.molstudio`` file it is saved in (read as data, never unpickled), and prediction of
tables and files of any size."""

from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.trained.model import (
    DOMAIN_COLUMN,
    SIMILARITY_COLUMN,
    TrainedModel,
    count_outside,
)
from molstudio.core.trained.predict import predict_file, predict_table

__all__ = [
    "DOMAIN_COLUMN",
    "SIMILARITY_COLUMN",
    "TrainedModel",
    "count_outside",
    "load_model",
    "predict_file",
    "predict_table",
    "read_manifest",
    "save_model",
]
