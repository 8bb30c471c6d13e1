"""``molstudio-cli explain``: a picture per compound of which atoms drive its prediction."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from molstudio.cli.options import positive_int
from molstudio.core.errors import MolStudioError
from molstudio.core.explain import atom_contributions, write_contributions
from molstudio.core.tables import detect_roles, read_table, write_table
from molstudio.core.trained import load_model


def add_parser(sub: Any) -> None:
    ex = sub.add_parser("explain", help="draw which atoms drive each compound's prediction")
    ex.add_argument("model", help="a .molstudio file")
    ex.add_argument("data", help="CSV, TSV, XLSX, SDF or SMI file of the compounds to explain")
    ex.add_argument("--out", required=True, help="folder for the pictures and atom_contributions.csv")
    rows = ex.add_mutually_exclusive_group()
    rows.add_argument("--rows", help="rows to explain, as numbered in the file (first data row = 1), e.g. 1,5,9")
    rows.add_argument("--first", type=positive_int, default=10, help="explain the first N rows (10 by default)")
    ex.add_argument("--format", choices=["svg", "png"], default="svg", help="picture format")
    ex.add_argument("--target", help="the target to explain (the model's first by default)")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    frame = read_table(args.data).frame
    structure = model.check_table(frame)
    if structure is None:
        raise MolStudioError("This model reads only descriptor columns, not structures, so no atom can be credited "
                             "with its prediction.", hint="Use 'molstudio-cli importance' instead.")
    rows = _explain_rows(args, len(frame))
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    id_column = detect_roles(frame).id
    parts, drawn, method = [], 0, ""
    for row in rows:
        record = frame.iloc[row - 1]
        try:
            contrib = atom_contributions(model, record[structure], args.target,
                                         descriptors=record.to_dict() if model.inputs.descriptor_columns else None)
        except MolStudioError as exc:
            print(f"note: row {row} not explained: {exc.message}", file=sys.stderr)
            continue
        name = _file_stem(record[id_column] if id_column else "", row)
        write_contributions(contrib, folder / f"{name}.{args.format}")
        drawn += 1
        method = contrib.method
        table = contrib.table()
        table.insert(0, "row", row)
        if id_column:
            table.insert(1, id_column, record[id_column])
        table.insert(len(table.columns) - 3, "smiles", contrib.smiles)
        table.insert(len(table.columns) - 3, "prediction", contrib.prediction)
        parts.append(table)
    if not parts:
        raise MolStudioError(f"None of the {len(rows)} row(s) chosen could be explained (see the notes above).")
    write_table(pd.concat(parts, ignore_index=True), folder / "atom_contributions.csv", forbid=args.data)
    print(f"{drawn} compound(s) explained: {method}; red raises the prediction, blue lowers it.")
    print(f"pictures and atom_contributions.csv written to {folder}")
    return 0


def _explain_rows(args: argparse.Namespace, n: int) -> list[int]:
    """Rows (1-based, as in the file) chosen with --rows or --first."""
    if not args.rows:
        return list(range(1, min(args.first, n) + 1))
    try:
        rows = [int(part) for part in args.rows.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise MolStudioError(f"Cannot read the rows '{args.rows}'.",
                             hint="Write row numbers as in the file (first data row = 1), e.g. 1,5,9.") from None
    outside = [r for r in rows if not 1 <= r <= n]
    if outside or not rows:
        raise MolStudioError(f"The table has rows 1 to {n}; row {outside[0] if outside else args.rows} is not one "
                             "of them.")
    return rows


def _file_stem(label: object, row: int) -> str:
    text = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(label).strip())[:40].strip("._")
    return f"row{row}" + (f"_{text}" if text else "")
