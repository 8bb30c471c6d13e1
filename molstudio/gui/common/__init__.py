"""What every part of the app builds on: the one background mechanism (:class:`Worker`,
:class:`JobRunner`, :class:`JobView`), the main window as the rest sees it
(:class:`AppWindow`) and its save dialogs, plots, run status widgets and the editors
generated from a parameter schema."""

from molstudio.gui.common.dialogs import AppWindow, SaveTarget, save_dialog
from molstudio.gui.common.job_view import JobView
from molstudio.gui.common.jobs import JobRunner
from molstudio.gui.common.param_form import ParamForm
from molstudio.gui.common.plots import LossPlot, ScatterPlot
from molstudio.gui.common.run_status import MessageBanner, MetricsTable, ProgressLine
from molstudio.gui.common.worker import Worker

__all__ = [
    "AppWindow",
    "JobRunner",
    "JobView",
    "LossPlot",
    "MessageBanner",
    "MetricsTable",
    "ParamForm",
    "ProgressLine",
    "SaveTarget",
    "ScatterPlot",
    "Worker",
    "save_dialog",
]
