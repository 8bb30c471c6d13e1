"""What a model file's manifest may hold, field by field, and the check of it.

The manifest (``manifest.json`` inside a ``.molstudio`` file) is data from outside: a file
a colleague sent may be damaged, altered or written by another version. :data:`MANIFEST`
describes model format 2 declaratively, one rule per key, nested rules saying what each
part may hold (hyperparameters by the architecture's own schema, feature specs by each
featurizer's schema, the input description by its kind). :func:`validate` checks a
manifest against it and then checks that its parts agree with each other (targets and
their scaling, the run configuration and the top-level copies of it, the features and
the input description), all before anything is built. Every failure is one
:class:`MolStudioError` naming the file and the field, e.g. "the manifest's
'hparams.hidden_sizes' is [-3], outside 1 .. 8192".

Format 1 (one network, its weights named ``network.*``, a top-level ``feature_count``) is
upgraded to format 2 on reading (:func:`upgrade`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import FEATURIZERS
from molstudio.core.featurize.pipeline import FeaturePipeline
from molstudio.core.featurize.smiles_tokens import MAX_TOKEN_CHARS, MAX_VOCABULARY
from molstudio.core.params import Schema
from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig
from molstudio.core.run.prepare import feature_specs
from molstudio.core.trained.archive import MAX_WEIGHT_BYTES, damaged
from molstudio.core.trained.manifest_rules import (
    AnyJson,
    Const,
    Context,
    Flag,
    Integer,
    Invalid,
    ListOf,
    MapOf,
    Maybe,
    Number,
    Record,
    Rule,
    Settings,
    Text,
    bad,
    is_int,
    show,
)
from molstudio.core.uncertainty import domain as ad
from molstudio.core.uncertainty import intervals as uncertainty

FORMAT = "molstudio-model"
FORMAT_VERSION = 2
MAX_MEMBERS = 100
MAX_TARGETS = 1000
MAX_FEATURES = 1_000_000  # values per compound
MAX_TENSORS = 20_000
#: what the writer stores: floats as float32, counters (BatchNorm's) as int64, the domain's
#: packed fingerprints as uint8 (that tensor only, see :func:`_agree_domain`)
DTYPES = ("float32", "int64", "uint8")
DTYPE_BYTES = {"float32": 4, "int64": 8, "uint8": 1}
TASKS = ("regression", "classification")
_TENSOR_NAME = re.compile(r"(member(\d{1,3})|features)\.[A-Za-z0-9_.]{1,200}")


def _architecture(manifest: Context) -> tuple[Schema, str]:
    name = manifest["architecture"]
    return MODELS.get(name).schema, f"the '{name}' architecture"


def _training(manifest: Context) -> tuple[Schema, str]:
    return TRAINING_SCHEMA, "the training settings"


@dataclass(frozen=True)
class FeatureSpec(Rule):
    """``{"name": featurizer, **its parameters}``, by the featurizer's own schema."""

    def check(self, value, where, manifest):
        if not isinstance(value, dict):
            raise bad(where, value, "not a JSON object")
        Text(64, empty=False).check(value.get("name"), f"{where}.name", manifest)
        name = value["name"]
        if name not in FEATURIZERS:
            raise Invalid(f"it uses the features '{name}', which this MolStudio does not have", newer=True)
        featurizer = FEATURIZERS.get(name)
        Settings(lambda _: (featurizer.schema, f"the '{name}' features"), skip=("name",)).check(
            value, where, manifest)


#: the fitted input description of each input kind; ``FEATURE_COUNT`` names its feature count
INPUT_KINDS: dict[str, Record] = {
    "vector": Record({"kind": Const("vector"), "feature_count": Integer(0, MAX_FEATURES)}),
    "graph": Record({
        "kind": Const("graph"),
        "featurization": Integer(1, 1000),
        "atom_features": Integer(1, 100_000),
        "bond_features": Integer(1, 100_000),
        "n_features": Integer(0, MAX_FEATURES),
    }),
    "tokens": Record({
        "kind": Const("tokens"),
        "vocabulary": ListOf(Text(MAX_TOKEN_CHARS, empty=False), 3, MAX_VOCABULARY, unique=True),
        "max_length": Integer(8, 2000),
        "feature_count": Integer(0, MAX_FEATURES),
    }),
}
FEATURE_COUNT = {"vector": "feature_count", "graph": "n_features", "tokens": "feature_count"}


@dataclass(frozen=True)
class InputDescription(Rule):
    def check(self, value, where, manifest):
        if not isinstance(value, dict):
            raise bad(where, value, "not a JSON object")
        Text(64, empty=False).check(value.get("kind"), f"{where}.kind", manifest)
        if value["kind"] not in INPUT_KINDS:
            raise Invalid(f"it reads inputs of the kind '{value['kind']}', which this MolStudio does not have",
                          newer=True)
        INPUT_KINDS[value["kind"]].check(value, where, manifest)


_SCORE = Maybe(Number(finite=False))  # a metric can be NaN (R² of a constant set)
_METRIC_SET = Record(
    {"n": Integer(0, 2**53), "per_task": MapOf(MapOf(_SCORE, Text(64), 64), max_items=MAX_TARGETS)},
    optional=True, extra=_SCORE,
)
_SPLIT_INFO = Record(
    {"method": Text(300), "sizes": ListOf(Number(), 0, 3), "seed": Integer(0, 2**63 - 1),
     "counts": MapOf(Integer(0, 2**53), Text(16), 8)},
    optional=True, extra=AnyJson(),
)
_VERSIONS = MapOf(Text(100), Text(40), 32)
_PER_TARGET = ListOf(Number(), 1, MAX_TARGETS)
#: the applicability domain (molstudio.core.uncertainty.domain); its fingerprints are the tensor 'domain.fingerprints'
_DOMAIN = Record({
    "fingerprint": Const("morgan_bits"), "radius": Const(ad.RADIUS), "bits": Const(ad.BITS),
    "compounds": Integer(1, ad.MAX_COMPOUNDS), "training_compounds": Integer(1, 2**53),
    "threshold": Number(), "rule": Text(1000),
})
#: the interval calibration (molstudio.core.uncertainty.intervals)
_UNCERTAINTY = Record({
    "coverage": Number(), "offset": Maybe(Number()), "validation_compounds": Integer(1, 2**53),
    "methods": MapOf(
        Record({"k": _PER_TARGET, "floor": _PER_TARGET, "samples": Integer(0, 1000),
                "validation_coverage": ListOf(Number(), 0, MAX_TARGETS), "mix": _PER_TARGET, "typical": _PER_TARGET},
               optional=("mix", "typical")),
        Text(choices=uncertainty.METHODS), len(uncertainty.METHODS)),
})

#: model format 2, every key of the manifest
MANIFEST = Record(
    {
        "format": Const(FORMAT),
        "format_version": Integer(1, FORMAT_VERSION),
        "created": Maybe(Text(64)),
        "versions": _VERSIONS,
        "architecture": Text(64, empty=False),
        "hparams": Settings(_architecture),
        "config": Record({
            "data": Record({
                "structure_column": Text(),
                "id_column": Text(),
                "targets": ListOf(Text(empty=False), 1, MAX_TARGETS),
                "task": Text(choices=TASKS),
                "descriptor_columns": ListOf(Text(empty=False), 0, MAX_FEATURES),
                "features": ListOf(Text(2**20, empty=False), 0, 64),
                "standardize": Flag(),
            }, optional=True),
            "split": Record({
                "method": Text(300),
                "sizes": ListOf(Number(), 2, 3),  # (train, test) or (train, validation, test)
                "seed": Integer(0, 2**63 - 1),
                "column": Text(),
            }, optional=True),
            "model": Settings(_architecture, skip=("name",)),
            "training": Settings(_training),
        }),
        "task": Text(choices=TASKS),
        "targets": ListOf(Text(empty=False), 1, MAX_TARGETS, unique=True),
        "classes": Maybe(ListOf(ListOf(Text(), 1, 2, unique=True), 1, MAX_TARGETS)),
        "features": ListOf(FeatureSpec(), 0, 64),
        "inputs": InputDescription(),
        "members": Integer(1, MAX_MEMBERS),
        "target_mean": ListOf(Number(), 1, MAX_TARGETS),
        "target_std": ListOf(Number(positive=True), 1, MAX_TARGETS),
        "metrics": MapOf(_METRIC_SET, Text(choices=("train", "val", "test")), 3),
        "info": Record(
            {"split": _SPLIT_INFO, "weights_seed": Integer(0, 2**63 - 1), "ensemble": Integer(1, MAX_MEMBERS),
             "epochs_run": Integer(0, 10**7), "best_epoch": Integer(0, 10**7), "stopped": Text(64),
             "device": Text(64), "inputs": MapOf(Integer(0, 2**31), Text(64), 16), "created": Maybe(Text(64)),
             "versions": _VERSIONS},
            optional=True, extra=AnyJson(),
        ),
        "domain": _DOMAIN,
        "uncertainty": _UNCERTAINTY,
        "class_share": ListOf(Number(), 1, MAX_TARGETS),
        "tensors": MapOf(
            Record({"shape": ListOf(Integer(0, 2**31 - 1), 0, 8), "dtype": Text(choices=DTYPES)}),
            Text(240), MAX_TENSORS,
        ),
    },
    optional=("created", "versions", "classes", "metrics", "info", "domain", "uncertainty", "class_share"),
)


def describe_features(specs: list[dict[str, Any]]) -> str:
    """``morgan_bits(radius=2, size=1024), rdkit2d``: feature specs as a chemist reads them."""
    def one(spec: dict[str, Any]) -> str:
        params = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "name")
        return f"{spec['name']}({params})" if params else str(spec["name"])

    return ", ".join(one(s) for s in specs) or "none"


def _agree(m: Context) -> None:
    """The parts of a field-by-field valid manifest agree with each other."""
    n = len(m["targets"])
    for key in ("target_mean", "target_std"):
        if len(m[key]) != n:
            raise Invalid(f"the manifest's '{key}' has {len(m[key])} values for {n} target(s)")
    classes = m.get("classes")
    if classes is not None:
        if m["task"] == "regression":
            raise Invalid("the manifest lists classes for a regression model")
        if len(classes) != n:
            raise Invalid(f"the manifest's 'classes' has {len(classes)} entries for {n} target(s)")
    data, model = m["config"].get("data", {}), m["config"]["model"]
    for where, value, top in (("config.model.name", model.get("name"), "architecture"),
                              ("config.data.targets", data.get("targets"), "targets"),
                              ("config.data.task", data.get("task"), "task")):
        if value != m[top]:
            raise Invalid(f"the manifest's '{where}' ({show(value)}) differs from its '{top}' ({show(m[top])})")
    schema = MODELS.get(m["architecture"]).schema
    hparams, configured = schema.resolve(m["hparams"]), schema.resolve({k: v for k, v in model.items() if k != "name"})
    for key, value in hparams.items():
        if configured[key] != value:
            raise Invalid(f"the manifest's 'hparams.{key}' ({show(value)}) differs from its run "
                          f"configuration's ({show(configured[key])})")
    try:
        config = RunConfig.from_dict(m["config"])
        expected = feature_specs(config)
    except (MolStudioError, ValueError, TypeError) as exc:
        raise Invalid(f"its run configuration cannot be used ({exc})") from None
    if expected != m["features"]:
        raise Invalid(f"the manifest's 'features' ({describe_features(m['features'])}) differ from its run "
                      f"configuration's ({describe_features(expected)})")
    arch = MODELS.get(m["architecture"])
    kind = m["inputs"]["kind"]
    if kind != arch.input_kind:
        raise Invalid(f"its input description ('{kind}') does not match its architecture "
                      f"'{m['architecture']}', which reads '{arch.input_kind}'")
    if arch.input_kind == "vector" and not m["features"]:
        raise Invalid(f"it names no features, and the '{m['architecture']}' architecture needs some")
    count, declared = len(FeaturePipeline(m["features"]).feature_names()), m["inputs"][FEATURE_COUNT[kind]]
    if count != declared:
        raise Invalid(f"its features ({describe_features(m['features'])}) give {count} values per compound, "
                      f"but the manifest's 'inputs.{FEATURE_COUNT[kind]}' says {declared}")
    _agree_domain(m)
    _agree_uncertainty(m)
    _agree_class_share(m)
    _agree_tensors(m)


def _agree_domain(m: Context) -> None:
    """The domain's record, its fingerprint tensor and the features agree; uint8 is its alone."""
    tensors, domain = m["tensors"], m.get("domain")
    for name, spec in tensors.items():
        if spec["dtype"] == "uint8" and name != ad.TENSOR:
            raise Invalid(f"the manifest's 'tensors' declares '{name[:80]}' as uint8, which no network weight is")
    if domain is None:
        if ad.TENSOR in tensors:
            raise Invalid(f"it holds '{ad.TENSOR}' but its manifest describes no applicability domain")
        return
    if not 0.0 <= domain["threshold"] <= 1.0:
        raise bad("domain.threshold", domain["threshold"], "not a similarity between 0 and 1")
    if domain["compounds"] > domain["training_compounds"]:
        raise Invalid("the manifest's 'domain.compounds' is more than its 'domain.training_compounds'")
    spec = tensors.get(ad.TENSOR)
    if spec is None:
        raise Invalid(f"its manifest describes an applicability domain but declares no '{ad.TENSOR}'")
    want = [domain["compounds"], ad.BYTES]
    if spec["dtype"] != "uint8" or spec["shape"] != want:
        raise Invalid(f"the manifest's '{ad.TENSOR}' is {spec['dtype']} of shape {spec['shape']}; the "
                      f"fingerprints of {domain['compounds']} compounds are uint8 of shape {want}")


def _agree_class_share(m: Context) -> None:
    share = m.get("class_share")
    if share is None:
        return
    if m["task"] != "classification":
        raise Invalid("the manifest holds class shares for a regression model")
    if len(share) != len(m["targets"]):
        raise Invalid(f"the manifest's 'class_share' has {len(share)} values for {len(m['targets'])} target(s)")
    if not all(0.0 <= v <= 1.0 for v in share):
        raise bad("class_share", share, "not a list of fractions between 0 and 1")


def _agree_uncertainty(m: Context) -> None:
    cal = m.get("uncertainty")
    if cal is None:
        return
    if m["task"] != "regression":
        raise Invalid("the manifest holds a prediction-interval calibration for a classification model")
    if not 0.0 < cal["coverage"] < 1.0:
        raise bad("uncertainty.coverage", cal["coverage"], "not a fraction between 0 and 1")
    if cal["offset"] is not None and not 0.0 < cal["offset"] <= 2.0:
        raise bad("uncertainty.offset", cal["offset"], "outside 0 .. 2")
    if (cal["offset"] is None) != ("domain" not in m):
        raise Invalid("the manifest's 'uncertainty.offset' and its applicability domain disagree")
    n, allowed = len(m["targets"]), ({"ensemble"} if m["members"] > 1 else {"residual", "mc_dropout"})
    if not cal["methods"]:
        raise Invalid("the manifest's 'uncertainty.methods' is empty")
    for name, fit in cal["methods"].items():
        if name not in allowed:
            raise Invalid(f"the manifest's 'uncertainty.methods' names '{name}', which a model of "
                          f"{m['members']} network(s) cannot use")
        for key in ("k", "floor", "mix", "typical"):
            if key in fit and (len(fit[key]) != n or any(v < 0 for v in fit[key])):
                raise Invalid(f"the manifest's 'uncertainty.methods.{name}.{key}' needs {n} value(s), none below 0")
        if any(v > 1 for v in fit.get("mix", [])):
            raise bad(f"uncertainty.methods.{name}.mix", fit["mix"], "not a list of weights between 0 and 1")


def _agree_tensors(m: Context) -> None:
    members, total = set(), 0
    for name, spec in m["tensors"].items():
        total += math.prod(spec["shape"]) * DTYPE_BYTES[spec["dtype"]]
        if name == ad.TENSOR:
            continue
        match = _TENSOR_NAME.fullmatch(name)
        if match is None or (match.group(2) is not None and int(match.group(2)) >= m["members"]):
            raise Invalid(f"the manifest's 'tensors' names '{name[:80]}', which belongs to no network")
        if match.group(2) is not None:
            members.add(int(match.group(2)))
    if len(members) != m["members"]:
        raise Invalid(f"it declares {m['members']} network(s) but holds weights for {len(members)}")
    if total > MAX_WEIGHT_BYTES:
        raise Invalid(f"its weights would take {total / 2**30:.1f} GB (at most {MAX_WEIGHT_BYTES / 2**30:.0f} GB)")


def upgrade(manifest: Context) -> Context:
    """A format-1 manifest (one network, ``network.*`` weights) as format 2; unchanged otherwise."""
    if manifest.get("format_version") != 1:
        return manifest
    out = {k: v for k, v in manifest.items() if k != "feature_count"}
    out["format_version"] = 2
    out["members"] = 1
    out["inputs"] = {"kind": "vector", "feature_count": manifest.get("feature_count")}
    tensors = manifest.get("tensors")
    if isinstance(tensors, dict):
        out["tensors"] = {upgrade_weight_name(k): v for k, v in tensors.items()}
    return out


def upgrade_weight_name(name: str) -> str:
    """A format-1 weight name as format 2 names it (the one network is member 0)."""
    return "member0." + name[len("network."):] if name.startswith("network.") else name


def validate(manifest: Any, name: str) -> Context:
    """The manifest of the model file ``name``, checked; format 1 comes back upgraded.

    Raises :class:`MolStudioError` for a foreign file, a newer format, an architecture or
    feature this MolStudio lacks, and any field that breaks :data:`MANIFEST`.
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise MolStudioError(f"{name} is not a MolStudio model file (its manifest has another format).")
    version = manifest.get("format_version")
    if not is_int(version) or version < 1:
        raise damaged(name, f"the manifest's 'format_version' is {show(version)}, not a model format number")
    if version > FORMAT_VERSION:
        raise MolStudioError(
            f"{name} was written by a newer MolStudio (model format {version}); this version reads model "
            f"formats 1 to {FORMAT_VERSION}.",
            hint="Update MolStudio to open this model.",
        )
    manifest = upgrade(manifest)
    arch = manifest.get("architecture")
    if isinstance(arch, str) and arch not in MODELS:
        raise MolStudioError(
            f"{name} uses the architecture '{arch[:64]}', which this MolStudio does not have.",
            hint="Update MolStudio to open this model.",
        )
    try:
        MANIFEST.check(manifest, "", manifest)
        _agree(manifest)
    except Invalid as exc:
        if exc.newer:
            raise MolStudioError(f"{name}: {exc.why}.", hint="Update MolStudio to open this model.") from None
        raise damaged(name, exc.why) from None
    return manifest
