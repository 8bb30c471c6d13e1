"""Structure depictions in the table: drawn lazily for visible rows, cached, placeholders for invalid ones."""

import pandas as pd
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPixmap

from molstudio.gui.table.structures import ERROR_ROLE, PLACEHOLDER_BG, DepictionCache
from molstudio.gui.table.view import TEXT_ROW_HEIGHT


def structure_index(tab, position):
    return tab.proxy.index(tab.proxy.proxy_row(position), tab.model.structure_index)


def coloured_fraction(image, colour: QColor) -> float:
    hits = sum(
        image.pixelColor(x, y) == colour for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
    )
    return hits / max(1, (image.width() // 2) * (image.height() // 2))


def test_visible_rows_show_rdkit_depictions(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    index = structure_index(tab, 11)  # benzene
    tab.table.scrollTo(index)
    qtbot.waitUntil(lambda: isinstance(index.data(Qt.ItemDataRole.DecorationRole), QPixmap), timeout=BACKGROUND_MS)
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    image = pixmap.toImage()
    assert pixmap.deviceIndependentSize().toSize() == tab.model.thumb_size
    assert coloured_fraction(image, QColor("white")) < 0.99  # bonds were drawn
    assert tab.table.rowHeight(0) > 100  # big enough to read


def test_invalid_structures_get_a_placeholder_with_rdkits_reason(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    reasons = {p: structure_index(tab, p).data(ERROR_ROLE) for p in (60, 61, 62)}
    assert "unclosed ring" in reasons[60]
    assert "valence" in reasons[61].lower()
    assert reasons[62] == "empty structure"
    assert "Cannot be read" in structure_index(tab, 61).data(Qt.ItemDataRole.ToolTipRole)
    assert structure_index(tab, 60).data(Qt.ItemDataRole.DecorationRole) is None
    assert structure_index(tab, 1).data(ERROR_ROLE) == ""
    tab.table.select_position(60)
    tab.table.clearSelection()  # the placeholder, not the selection colour
    qtbot.wait(50)
    cell = tab.table.visualRect(structure_index(tab, 60))
    image = tab.table.viewport().grab(cell).toImage()
    assert coloured_fraction(image, PLACEHOLDER_BG) > 0.3


def test_only_rows_on_screen_are_drawn(window, qtbot, wait_loaded, compounds_csv, tmp_path):
    many = tmp_path / "many.csv"
    pd.concat([pd.read_csv(compounds_csv)] * 50, ignore_index=True).to_csv(many, index=False)
    (tab,) = window.open_paths([many])
    wait_loaded(tab)
    qtbot.waitUntil(lambda: tab.depictions.pending() == 0 and tab.depictions.rendered > 0, timeout=BACKGROUND_MS)
    assert tab.depictions.rendered < 40  # a screenful, not 3,150 rows
    first = tab.depictions.rendered
    tab.table.scrollToBottom()
    last = structure_index(tab, tab.model.rowCount() - 4)
    qtbot.waitUntil(lambda: tab.depictions.pending() == 0 and tab.depictions.rendered > first, timeout=BACKGROUND_MS)
    assert index_drawn(last) or last.data(ERROR_ROLE)


def index_drawn(index):
    return isinstance(index.data(Qt.ItemDataRole.DecorationRole), QPixmap)


def test_the_cache_keeps_a_bounded_number_of_pixmaps(qtbot):
    cache = DepictionCache(capacity=5)
    smiles = ["C" * n for n in range(1, 13)]
    for s in smiles:
        cache.pixmap(s, "smiles", QSize(80, 60))
    qtbot.waitUntil(lambda: cache.pending() == 0, timeout=BACKGROUND_MS)
    assert len(cache) == 5
    # the newest request is drawn first (the row just scrolled to), so "C" was drawn last and stays
    assert cache.pixmap(smiles[0], "smiles", QSize(80, 60)) is not None
    assert cache.error("C1CC", "smiles").startswith("SMILES syntax error")


def test_structures_can_be_hidden_for_compact_rows(window, open_table, compounds_csv):
    tab = open_table(compounds_csv)
    window.structures_action.trigger()
    assert tab.table.verticalHeader().defaultSectionSize() == TEXT_ROW_HEIGHT
    assert structure_index(tab, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert structure_index(tab, 0).data() == "CCO"
    window.structures_action.trigger()
    assert tab.table.verticalHeader().defaultSectionSize() > 100


def test_sdf_files_show_their_molblocks_and_copy_as_smiles(window, open_table, compounds_csv, qtbot, tmp_path):
    from molstudio.core.tables import reading as io

    sdf = tmp_path / "compounds.sdf"
    io.write_table(pd.read_csv(compounds_csv).head(5), sdf, structure_column="smiles")
    tab = open_table(sdf)
    assert tab.roles.structure == "molblock" and tab.roles.structure_kind == "molblock"
    index = structure_index(tab, 2)
    assert index.data() == ""  # no molblock text in the cell: the picture is the cell
    tab.table.scrollTo(index)
    qtbot.waitUntil(lambda: index_drawn(index), timeout=BACKGROUND_MS)
    tab.table.select_position(2)
    header, row = tab.table.copy_selection().splitlines()
    assert "SMILES" in header.split("\t") and "CCCCO" in row.split("\t")
