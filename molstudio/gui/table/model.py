"""The compound table as a Qt model: a DataFrame shown, sorted and filtered, never copied.

:class:`FrameModel` keeps the DataFrame in file order (so exports keep the row order)
and shows it through a permutation; :class:`FrameProxy` hides rows by a boolean mask
(text filter and substructure filter). Sorting is done by pandas on the whole
column in one call: a Python ``lessThan`` would be called about a million times
for 50,000 rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from molstudio.core import chem
from molstudio.core.trained.model import DOMAIN_COLUMN, SIMILARITY_COLUMN
from molstudio.gui.table.structures import ERROR_ROLE, STRUCTURE_ROLE, DepictionCache

Index = QModelIndex | QPersistentModelIndex
PREDICTION_BG = QColor("#eaf3fb")
OUTSIDE_BG = QColor("#fde3c0")  # prediction cells of a compound outside the applicability domain
OUTSIDE_FG = QColor("#a14a00")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


PREDICTED_SUFFIXES = ("_predicted", "_uncertainty", "_lower", "_upper")  # as precise as the measured column
PREDICTION_DECIMALS = 3  # a probability, or a prediction of a column that is not in the table
UNCERTAINTY = "_uncertainty"
PLUS_MINUS = "± "
IN_DOMAIN_TEXT = {True: "yes", False: "outside"}


def prediction_text(column: str, value: Any, decimals: int | None = None) -> str:
    """A prediction cell as shown: "± 0.12" for an uncertainty, "yes"/"outside" for the domain flag."""
    if column == DOMAIN_COLUMN:
        return IN_DOMAIN_TEXT[bool(value)] if isinstance(value, (bool, np.bool_)) else ""
    text = display_text(value, 2 if column == SIMILARITY_COLUMN else decimals)
    return PLUS_MINUS + text if text and column.endswith(UNCERTAINTY) else text


def outside_note(similarity: Any) -> str:
    """Why a compound's prediction is marked as outside the applicability domain."""
    shown = display_text(similarity, 2)
    return (f"Outside the model's applicability domain: its nearest training compound has a Tanimoto "
            f"similarity of only {shown} (lower than 19 in 20 of the validation compounds). "
            "The model has seen nothing like it; trust this prediction less.")


def prediction_tooltip(column: str) -> str:
    """What a prediction column holds, for its header's tooltip ("" for other columns)."""
    if column.endswith(UNCERTAINTY):
        target = column.removesuffix(UNCERTAINTY)
        return (f"Uncertainty of the prediction of {target}: the spread (standard deviation) of the "
                f"predictions of the ensemble's networks, in the units of {target}.\n"
                "Shown as ± next to the prediction; a large value means the networks disagree, "
                "so trust that prediction less. Exported as a plain number.")
    if column.endswith("_predicted"):
        return f"Predicted {column.removesuffix('_predicted')} (the mean over the networks of an ensemble)."
    for suffix, side in (("_lower", "Lower"), ("_upper", "Upper")):
        if column.endswith(suffix):
            target = column.removesuffix(suffix)
            return (f"{side} end of the 90 % prediction interval of {target}: calibrated so that the measured "
                    f"value of 9 in 10 validation compounds fell inside it. The interval is wider for a "
                    "compound far from the training set and, for an ensemble, where its networks disagree.")
    if column == SIMILARITY_COLUMN:
        return ("Tanimoto similarity (Morgan fingerprints, radius 2) of the compound to its nearest training "
                "compound: 1 = a training compound, below about 0.3 = unlike anything the model was trained on.")
    if column == DOMAIN_COLUMN:
        return ("Whether the compound is inside the model's applicability domain: 'outside' when it is further "
                "from the training set than 19 in 20 validation compounds. Its prediction cells are shaded orange.")
    if column.endswith("_probability"):
        return f"Predicted probability of the second class of {column.removesuffix('_probability')}."
    if column == "not_predicted_because":
        return "Why a row has no prediction (e.g. a structure RDKit cannot read); empty when it was predicted."
    return ""


def display_text(value: Any, decimals: int | None = None) -> str:
    """A cell as a chemist reads it: no "nan", no "1.0" for a 0/1 label, 6 significant digits.

    ``decimals`` fixes the digits after the point instead (a predicted value).
    """
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return f"{value:.{decimals}f}" if decimals is not None and abs(float(value)) < 1e6 else f"{value:.6g}"
    return str(value)


def prediction_decimals(frame: pd.DataFrame, column: str, sample: int = 2000) -> int:
    """Digits after the point for a prediction column: those of the measured values it predicts.

    ``pIC50_predicted`` next to ``pIC50`` written as 5.51 shows 5.78, not 5.77578
    (at least 1, at most 4 digits); other prediction columns get :data:`PREDICTION_DECIMALS`.
    """
    measured = next((column.removesuffix(s) for s in PREDICTED_SUFFIXES if column.endswith(s)), None)
    if measured not in frame.columns or not pd.api.types.is_numeric_dtype(frame[measured].dtype):
        return PREDICTION_DECIMALS
    values = pd.to_numeric(frame[measured], errors="coerce").dropna().head(sample)
    if values.empty:
        return PREDICTION_DECIMALS
    written = [f"{float(v):.6g}" for v in values]
    if any("e" in text for text in written):  # 1e-05: fixed decimals would hide it
        return PREDICTION_DECIMALS
    return min(max(max(len(text.partition(".")[2]) for text in written), 1), 4)


class FrameModel(QAbstractTableModel):
    """A read-only table model over a :class:`pandas.DataFrame`.

    Rows are shown in ``order`` (row positions of the frame); ``position(row)``
    and ``row_of(position)`` convert between the two.
    """

    def __init__(self, depictions: DepictionCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.depictions = depictions
        self.structure_column: str | None = None
        self.structure_kind = "smiles"
        self.show_structures = True
        self.thumb_size = QSize(220, 120)
        self.prediction_columns: list[str] = []
        self.decimals: dict[str, int] = {}  # fixed digits after the point of float prediction columns
        self._frame = pd.DataFrame()
        self._values: list[np.ndarray] = []
        self._numeric: list[bool] = []
        self._digits: list[int | None] = []
        self._special: list[bool] = []  # prediction columns shown by prediction_text ("± 0.12", "outside")
        self._outside: np.ndarray | None = None  # per frame position: outside the applicability domain
        self._order = np.arange(0)
        self._rows = np.arange(0)
        self._errors: dict[int, str] | None = None
        self._sorted_by: tuple[str, Qt.SortOrder] | None = None
        self._haystack: dict[str, pd.Series] = {}
        self._structure_at = -1

    # --- the data -------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        """The table in file order, prediction columns included."""
        return self._frame

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show ``frame`` (kept in file order); an earlier sort by a column it has is kept."""
        self.beginResetModel()
        self._frame = frame
        self.prediction_columns = [c for c in self.prediction_columns if c in frame.columns]
        self.decimals = {c: d for c, d in self.decimals.items() if c in self.prediction_columns}
        self._cache_columns()
        self._order = np.arange(len(frame))
        self._rows = np.arange(len(frame))
        if self._sorted_by and self._sorted_by[0] in frame.columns:
            self._order = self._sorted_order(self._col_index(self._sorted_by[0]), self._sorted_by[1])
            self._rows = np.empty_like(self._order)
            self._rows[self._order] = np.arange(len(self._order))
        self._errors = None
        self.endResetModel()

    def set_structure(self, column: str | None, kind: str = "smiles") -> None:
        """Which column holds the structures (``kind`` "smiles" or "molblock")."""
        old = self._structure_at
        self.structure_column = column if column in self._frame.columns else None
        self.structure_kind = kind
        self._errors = None
        self._haystack = {}
        self._structure_at = self._col_index(self.structure_column)
        self._changed_columns([old, self._structure_at])

    def set_structure_errors(self, column: str, errors: dict[int, str]) -> None:
        """RDKit's reason per row position, from the background check of ``column``."""
        if column == self.structure_column:
            self._errors = dict(errors)
            self._changed_columns([self._structure_at])

    def append_columns(self, extra: pd.DataFrame) -> list[str]:
        """Add (or replace) columns aligned on the index, e.g. predictions; returns their names.

        A new column goes right after the column before it in ``extra`` when the table has
        that one (an ensemble's ``<target>_uncertainty`` lands beside ``<target>_predicted``
        made earlier by a single network), else at the end.
        """
        extra = extra.reindex(self._frame.index)
        names = [str(c) for c in extra.columns]
        frame = self._frame.copy()
        for name in names:
            if name in frame.columns:
                frame[name] = extra[name]
        self.prediction_columns = list(dict.fromkeys(self.prediction_columns + names))
        for i, name in enumerate(names):
            if name in frame.columns:
                continue
            before = next((n for n in reversed(names[:i]) if n in frame.columns), None)
            at = list(frame.columns).index(before) + 1 if before is not None else len(frame.columns)
            self.beginInsertColumns(QModelIndex(), at, at)
            frame.insert(at, name, extra[name])
            self._frame = frame
            self._cache_columns()
            self.endInsertColumns()
        self._frame = frame
        for name in names:
            if pd.api.types.is_float_dtype(frame[name].dtype):
                self.decimals[name] = prediction_decimals(frame, name)
            else:
                self.decimals.pop(name, None)
        self._cache_columns()
        self._changed_columns([self._col_index(name) for name in names])
        return names

    def drop_columns(self, names: list[str]) -> None:
        """Remove columns (an earlier model's predictions the new one does not make)."""
        for name in [c for c in names if c in self._frame.columns]:
            column = self._col_index(name)
            self.beginRemoveColumns(QModelIndex(), column, column)
            self._frame = self._frame.drop(columns=[name])
            self.prediction_columns = [c for c in self.prediction_columns if c != name]
            self.decimals.pop(name, None)
            self._cache_columns()
            self.endRemoveColumns()

    def position(self, row: int) -> int:
        """The frame row position shown at model ``row``."""
        return int(self._order[row])

    def row_of(self, position: int) -> int:
        """The model row showing frame row ``position``."""
        return int(self._rows[position])

    @property
    def structure_index(self) -> int:
        """The column number of the structure column, -1 when there is none."""
        return self._structure_at

    def column_name(self, column: int) -> str:
        return str(self._frame.columns[column])

    # --- Qt model interface ---------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own signature)
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own signature)
        return 0 if parent.isValid() else len(self._frame.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col = index.column()
        value = self._values[col][self._order[index.row()]]
        is_structure = col == self._structure_at
        if role == Qt.ItemDataRole.DisplayRole:
            if is_structure and self.structure_kind == "molblock":
                return "" if self.show_structures else "MOL block"
            if self._special[col]:
                return prediction_text(self.column_name(col), value, self._digits[col])
            return display_text(value, self._digits[col])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if self._numeric[col] else LEFT
        if not is_structure:
            if not self._special[col] and self.column_name(col) not in self.prediction_columns:
                return None
            outside = self._outside is not None and bool(self._outside[self._order[index.row()]])
            if role == Qt.ItemDataRole.BackgroundRole:
                return OUTSIDE_BG if outside else PREDICTION_BG
            if role == Qt.ItemDataRole.ForegroundRole and outside and self.column_name(col) == DOMAIN_COLUMN:
                return OUTSIDE_FG
            if role == Qt.ItemDataRole.ToolTipRole and outside:
                return outside_note(self._frame[SIMILARITY_COLUMN].iloc[self._order[index.row()]]
                                    if SIMILARITY_COLUMN in self._frame.columns else float("nan"))
            return None
        text = "" if display_text(value) == "" else str(value)
        if role == STRUCTURE_ROLE:
            return text
        if role == ERROR_ROLE:
            return self.structure_error(self.position(index.row()))
        if role == Qt.ItemDataRole.DecorationRole and self.show_structures and self.depictions is not None:
            if self.structure_error(self.position(index.row())):
                return None
            return self.depictions.pixmap(text, self.structure_kind, self.thumb_size)
        if role == Qt.ItemDataRole.ToolTipRole:
            error = self.structure_error(self.position(index.row()))
            shown = text if self.structure_kind == "smiles" else "structure from the SDF file"
            return f"{shown}\n\nCannot be read: {error}" if error else shown
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal
                and section < len(self._frame.columns) and self.column_name(section) in self.prediction_columns):
            return prediction_tooltip(self.column_name(section)) or None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.column_name(section) if section < len(self._frame.columns) else None
        return str(self.position(section) + 1) if section < len(self._order) else None

    def structure_error(self, position: int) -> str:
        """Why the structure at frame row ``position`` cannot be read ("" when it can)."""
        if self.structure_column is None:
            return ""
        if self._errors is not None:
            return self._errors.get(position, "")
        value = self._values[self._structure_at][position]
        text = "" if display_text(value) == "" else str(value)
        cache = self.depictions
        error = cache.error(text, self.structure_kind) if cache is not None else None
        return error or ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the shown rows by one column; missing values last, ties keep file order."""
        if not 0 <= column < len(self._frame.columns):
            self._sorted_by = None
            self._set_order(np.arange(len(self._frame)))
            return
        self._sorted_by = (self.column_name(column), order)
        self._set_order(self._sorted_order(column, order))

    def _sorted_order(self, column: int, order: Qt.SortOrder) -> np.ndarray:
        values = self._frame.iloc[:, column].reset_index(drop=True)
        ascending = order == Qt.SortOrder.AscendingOrder
        key = (lambda s: s.str.lower()) if pd.api.types.is_string_dtype(values) else None
        try:
            ranked = values.sort_values(ascending=ascending, kind="stable", na_position="last", key=key)
        except TypeError:  # mixed numbers and text in one column
            ranked = values.astype(str).sort_values(ascending=ascending, kind="stable")
        return ranked.index.to_numpy(dtype=np.int64)

    # --- helpers for the views --------------------------------------------------
    def text_mask(self, text: str) -> np.ndarray | None:
        """Rows (by position) with ``text`` in any cell; None for no filter.

        Case is ignored except in SMILES, where it tells aromatic from aliphatic atoms.
        """
        needle = text.strip()
        if not needle:
            return None
        hits = np.zeros(len(self._frame), dtype=bool)
        for name in self._frame.columns:
            is_structure = name == self.structure_column
            if is_structure and self.structure_kind == "molblock":
                continue
            hay = self._haystack.get(name)
            if hay is None:
                hay = self._frame[name].astype("string").fillna("")
                hay = hay if is_structure else hay.str.lower()
                self._haystack[name] = hay
            found = hay.str.contains(needle if is_structure else needle.lower(), regex=False)
            hits |= found.to_numpy(dtype=bool, na_value=False)
        return hits

    def rows_as_tsv(self, positions: Sequence[int]) -> str:
        """Rows (frame positions, in the given order) as tab-separated text with a header.

        Structures read from an SDF are copied as SMILES, which a spreadsheet can hold.
        """
        rows = self._frame.iloc[list(positions)]
        if self.structure_column and self.structure_kind == "molblock":
            parsed = chem.parse_structures(rows[self.structure_column].tolist(), kind="molblock")
            rows = rows.assign(**{self.structure_column: [s or "" for s in parsed.canonical]})
            rows = rows.rename(columns={self.structure_column: "SMILES"})
        cells = rows.map(display_text).map(lambda s: s.replace("\t", " ").replace("\n", " "))
        lines = ["\t".join(map(str, cells.columns))] + ["\t".join(r) for r in cells.itertuples(index=False)]
        return "\n".join(lines) + "\n"

    def _cache_columns(self) -> None:
        self._values = [self._frame.iloc[:, i].to_numpy() for i in range(len(self._frame.columns))]
        self._numeric = [
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            for dtype in self._frame.dtypes
        ]
        self._digits = [self.decimals.get(str(c)) for c in self._frame.columns]
        self._special = [str(c) in self.prediction_columns
                         and (str(c).endswith(UNCERTAINTY) or str(c) in (DOMAIN_COLUMN, SIMILARITY_COLUMN))
                         for c in self._frame.columns]
        self._outside = None
        if DOMAIN_COLUMN in self.prediction_columns and DOMAIN_COLUMN in self._frame.columns:
            flags = self._frame[DOMAIN_COLUMN].to_numpy()
            self._outside = np.array([f is False or f is np.False_ for f in flags], dtype=bool)
        self._haystack = {}
        self._structure_at = self._col_index(self.structure_column)

    def _col_index(self, name: str | None) -> int:
        return list(self._frame.columns).index(name) if name in self._frame.columns else -1

    def _set_order(self, order: np.ndarray) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        positions = [self.position(i.row()) for i in old]
        self._order = np.asarray(order, dtype=np.int64)
        self._rows = np.empty_like(self._order)
        self._rows[self._order] = np.arange(len(self._order))
        new = [self.index(self.row_of(p), i.column()) for p, i in zip(positions, old)]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _changed_columns(self, columns: list[int]) -> None:
        last_row = len(self._frame) - 1
        for column in sorted({c for c in columns if c >= 0}):
            if last_row >= 0:
                self.dataChanged.emit(self.index(0, column), self.index(last_row, column))
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, column, column)


class FrameProxy(QSortFilterProxyModel):
    """Filters a :class:`FrameModel` by text and by a substructure mask; sorting is the source's."""

    def __init__(self, source: FrameModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # rows are filtered only when a filter changes: re-filtering on every dataChanged
        # would call filterAcceptsRow 50,000 times for one new column
        self.setDynamicSortFilter(False)
        self.setSourceModel(source)
        self._source = source
        self.text = ""
        self._text_mask: np.ndarray | None = None
        self._structure_mask: np.ndarray | None = None
        self._accept: np.ndarray | None = None
        source.modelAboutToBeReset.connect(self._drop_masks)
        source.modelReset.connect(self._reapply_text)

    @property
    def frame_model(self) -> FrameModel:
        return self._source

    def set_text(self, text: str) -> None:
        self.text = text
        self._text_mask = self._source.text_mask(text)
        self._refilter()

    def set_structure_mask(self, mask: np.ndarray | None) -> None:
        """Rows (by frame position) matching the substructure; None shows all."""
        self._structure_mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._refilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        accept = self._accept
        if accept is None or source_row >= len(accept):
            return True
        return bool(accept[self._source._order[source_row]])

    def position(self, proxy_row: int) -> int:
        """The frame row position shown at ``proxy_row``."""
        return self._source.position(self.mapToSource(self.index(proxy_row, 0)).row())

    def proxy_row(self, position: int) -> int:
        """The proxy row showing frame ``position``, or -1 when it is filtered out."""
        if not 0 <= position < self._source.rowCount():
            return -1
        source = self._source.index(self._source.row_of(position), 0)
        return self.mapFromSource(source).row()

    def _refilter(self) -> None:
        masks = [m for m in (self._text_mask, self._structure_mask) if m is not None]
        self.beginFilterChange()
        self._accept = np.logical_and.reduce(masks) if masks else None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _drop_masks(self) -> None:
        # the masks describe the old rows; the substructure search is run again by its owner
        self._text_mask = self._structure_mask = self._accept = None

    def _reapply_text(self) -> None:
        if self.text:
            self.set_text(self.text)
