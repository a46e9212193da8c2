"""The run panel's DVH plot: the latest round's curves, the previous round dashed, on a Qt matplotlib canvas."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure

from planflow_qt.report.plots import draw_dvh, roi_colors
from planflow_qt.report.snapshots import Snapshot

BACKGROUND = "#2b2f36"
FOREGROUND = "#d8dde3"


class DvhPlot(FigureCanvasQTAgg):
    """Cumulative DVHs of one snapshot (and the one before it, dashed) with a legend.

    `rois` chooses the curves (the flow's ROIs); when none of them is in the snapshot, all are drawn.
    """

    def __init__(self, parent=None):
        self.figure = Figure(figsize=(5.0, 3.2), dpi=90, facecolor=BACKGROUND)
        self.figure.subplots_adjust(left=0.13, right=0.97, top=0.9, bottom=0.15)
        super().__init__(self.figure)
        self.setParent(parent)
        self.axes = self.figure.add_subplot(111)
        self.rois: list[str] = []
        self.drawn_label = ""
        self.clear()

    def _style(self) -> None:
        ax = self.axes
        ax.set_facecolor("#23262b")
        for spine in ax.spines.values():
            spine.set_color("#59606a")
        ax.tick_params(colors=FOREGROUND, labelsize=8)
        ax.xaxis.label.set_color(FOREGROUND)
        ax.yaxis.label.set_color(FOREGROUND)
        ax.title.set_color(FOREGROUND)

    def clear(self) -> None:
        """An empty plot that says what will appear."""
        self.axes.clear()
        self._style()
        self.axes.set_xlabel("Dose (cGy)")
        self.axes.set_ylabel("Volume (%)")
        self.axes.set_title("DVH: appears after the first round", fontsize=9)
        self.drawn_label = ""
        self.draw_idle()

    def show_snapshot(self, snapshot: Snapshot, previous: Snapshot | None = None) -> None:
        """Draw a snapshot's DVHs; `previous` is drawn dashed and faint for comparison."""
        ax = self.axes
        ax.clear()
        rois = [r for r in self.rois if r in snapshot.dvh] or list(snapshot.dvh)
        colors = roi_colors(rois)
        if previous is not None:
            draw_dvh(ax, previous, [r for r in rois if r in previous.dvh], colors, "--")
            for line in ax.lines:
                line.set_alpha(0.45)
                line.set_label("_nolegend_")
        draw_dvh(ax, snapshot, rois, colors)
        self._style()
        ax.grid(alpha=0.2, color="#8a929c")
        title = f"DVH — {snapshot.label}" + (f" (dashed: {previous.label})" if previous is not None else "")
        ax.set_title(title, fontsize=9)
        legend = ax.legend(fontsize=7, ncol=2, loc="upper right", framealpha=0.5)
        if legend is not None:
            legend.get_frame().set_facecolor("#2b2f36")
            for text in legend.get_texts():
                text.set_color(FOREGROUND)
        self.drawn_label = snapshot.label
        self.draw_idle()
