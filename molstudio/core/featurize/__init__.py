"""What a molecule becomes before a network reads it: fingerprints and descriptors (a
registry of featurizers with a per-molecule cache), their scaled concatenation, atom and
bond features of the molecular graph, and SMILES tokens."""

from molstudio.core.featurize.featurizers import (
    CACHE,
    FEATURIZERS,
    FeatureCache,
    Featurizer,
    make_featurizer,
    parse_feature_specs,
    split_top_level,
)
from molstudio.core.featurize.pipeline import FeaturePipeline
from molstudio.core.featurize.smiles_tokens import (
    Vocabulary,
    randomized_smiles,
    tokenize,
)

__all__ = [
    "CACHE",
    "FEATURIZERS",
    "FeatureCache",
    "FeaturePipeline",
    "Featurizer",
    "Vocabulary",
    "make_featurizer",
    "parse_feature_specs",
    "randomized_smiles",
    "split_top_level",
    "tokenize",
]
