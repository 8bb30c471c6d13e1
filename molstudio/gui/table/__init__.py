"""The compound table: the DataFrame as a Qt model (sorted, filtered, never copied), its view
with structure pictures, the selected compound's details, the column roles and load report,
and the background jobs that read a file and check its structures."""

from molstudio.gui.table.detail_pane import DetailPane
from molstudio.gui.table.model import FrameModel, FrameProxy
from molstudio.gui.table.roles_panel import RolesPanel
from molstudio.gui.table.structures import DepictionCache, StructureDelegate
from molstudio.gui.table.view import CompoundTable

__all__ = ["CompoundTable", "DepictionCache", "DetailPane", "FrameModel", "FrameProxy", "RolesPanel",
           "StructureDelegate"]
