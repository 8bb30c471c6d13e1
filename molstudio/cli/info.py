"""``molstudio-cli info``: describe a trained model file (read as data, nothing built)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from molstudio.cli.printing import print_metrics
from molstudio.core.trained import read_manifest


def add_parser(sub: Any) -> None:
    i = sub.add_parser("info", help="describe a trained model file")
    i.add_argument("model")
    i.add_argument("--json", action="store_true", help="print the whole manifest as JSON")


def run(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(f"Model file:   {args.model}")
    print(f"Created:      {manifest.get('created')} with MolStudio {manifest.get('versions', {}).get('molstudio')}")
    print(f"Architecture: {manifest['architecture']}  {json.dumps(manifest['hparams'])}")
    print(f"Task:         {manifest['task']}; targets: {', '.join(manifest['targets'])}")
    feats = [f["name"] + ("" if len(f) == 1 else f"({', '.join(f'{k}={v}' for k, v in f.items() if k != 'name')})")
             for f in manifest["features"]]
    inputs = manifest["inputs"]
    count = inputs.get("feature_count", inputs.get("n_features"))
    print(f"Features:     {'; '.join(feats) or 'none'}" + (f" ({count} values per compound)" if count else ""))
    if manifest["members"] > 1:
        print(f"Ensemble:     {manifest['members']} networks (predictions are their mean; their spread is "
              "reported as the uncertainty)")
    if "domain" in manifest:
        d = manifest["domain"]
        print(f"Domain:       {d['compounds']} training compounds' Morgan fingerprints; in domain when the nearest "
              f"is at least {d['threshold']:.2f} similar ({d['rule']})")
    if "uncertainty" in manifest:
        u = manifest["uncertainty"]
        print(f"Intervals:    {u['coverage']:.0%} prediction intervals calibrated on {u['validation_compounds']} "
              f"validation compounds ({', '.join(n.replace('_', '-') for n in u['methods'])})")
    info = manifest.get("info", {})
    split = info.get("split", {})
    print(f"Split:        {split.get('method')} {split.get('sizes')} seed {split.get('seed')} -> {split.get('counts')}")
    print(f"Training:     {info.get('epochs_run')} epochs (best {info.get('best_epoch')}, {info.get('stopped')}), "
          f"weights seed {info.get('weights_seed')}")
    print_metrics(manifest.get("metrics", {}), manifest["task"])
    return 0
