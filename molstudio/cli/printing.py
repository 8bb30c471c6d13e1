"""How the commands print figures: the metrics table, settings, JSON values."""

from __future__ import annotations

from typing import Any


def print_metrics(metrics: dict[str, dict], task: str) -> None:
    """Train / validation / test metrics as a small table."""
    keys = ["rmse", "mse", "mae", "r2"] if task == "regression" else ["roc_auc", "pr_auc", "accuracy", "mcc"]
    print(f"{'':8}" + "".join(f"{k:>10}" for k in keys) + f"{'n':>8}")
    for part in ("train", "val", "test"):
        m = metrics.get(part) or {}
        if not m:
            continue
        print(f"{part:8}" + "".join(f"{m.get(k, float('nan')):>10.4f}" for k in keys) + f"{m.get('n', 0):>8}")


def setting_text(value: Any) -> str:
    """A setting's value as typed on the command line."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def plain(value: Any) -> Any:
    """A JSON-writable stand-in for a NumPy scalar (or anything else: its text)."""
    try:
        return value.item()
    except AttributeError:
        return str(value)
