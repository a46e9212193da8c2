"""The run panel: backend choice, Run and Stop, node states on the canvas, live log, metrics per round, DVH.

The run happens in a worker thread (`RunWorker`); events come back queued to the UI thread, so the window
stays responsive. Stop asks the interpreter to end after the node that is running.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.backends.base import Backend
from planflow_qt.catalog.describe import node_title, roi_label
from planflow_qt.catalog.registry import Registry, default_registry
from planflow_qt.editor.dvh_plot import DvhPlot
from planflow_qt.editor.run_worker import RunWorker
from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.engine.problems import Problem, Severity
from planflow_qt.engine.states import NodeState, RunStatus
from planflow_qt.model.document import Flow
from planflow_qt.report.snapshots import Snapshot

log = logging.getLogger(__name__)

CASES = ("lung", "lung_left", "esophagus", "prostate")
STATE_OF = {EventKind.NODE_STARTED: NodeState.RUNNING, EventKind.NODE_FINISHED: NodeState.DONE,
            EventKind.NODE_SKIPPED: NodeState.SKIPPED, EventKind.NODE_FAILED: NodeState.FAILED}
NOTE_OF = {EventKind.WARNING: (Severity.WARNING, "warning: "), EventKind.NODE_SKIPPED: (Severity.WARNING, "skipped: "),
           EventKind.NODE_FAILED: (Severity.ERROR, "")}
"""What the run says of a node that goes on its badge: how grave it is, and how its text begins."""
PASS = QtGui.QColor(40, 120, 60)
FAIL = QtGui.QColor(140, 45, 45)


PATIENT_ITEM = "DICOM patient…"
"""The case entry that asks for a patient folder (CT series and RTSTRUCT) to plan on."""


def simulated_factory(case: str, grid_mm: float, patient: Path | None = None) -> Callable[[], Backend]:
    """A factory of the simulated backend for a phantom case, or the DICOM patient in the folder `patient`,
    on a grid (built in the worker thread)."""

    def make() -> Backend:
        from planflow_qt.backends import make_backend

        return make_backend("simulated", case=case, grid_mm=grid_mm, patient=str(patient) if patient else None)

    return make


class MetricsTable(QtWidgets.QTableWidget):
    """Clinical goals (pass / fail coloured) and recorded metrics, one column per round and the final plan."""

    def __init__(self, parent=None):
        super().__init__(0, 0, parent)
        self.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(21)
        self.horizontalHeader().setDefaultSectionSize(78)
        self.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.Fixed)
        self.rows: list[str] = []
        self.columns: list[str] = []

    def reset(self) -> None:
        self.rows, self.columns = [], []
        self.setRowCount(0)
        self.setColumnCount(0)

    def _row(self, key: str, tooltip: str) -> int:
        if key not in self.rows:
            self.rows.append(key)
            self.setRowCount(len(self.rows))
            header = QtWidgets.QTableWidgetItem(key)
            header.setToolTip(tooltip)
            self.setVerticalHeaderItem(len(self.rows) - 1, header)
        return self.rows.index(key)

    def add_snapshot(self, snapshot: Snapshot) -> None:
        """Add a column for the snapshot (a repeated label replaces its column)."""
        if snapshot.label not in self.columns:
            self.columns.append(snapshot.label)
            self.setColumnCount(len(self.columns))
            self.setHorizontalHeaderItem(len(self.columns) - 1, QtWidgets.QTableWidgetItem(snapshot.label))
        column = self.columns.index(snapshot.label)
        for goal in snapshot.goals:
            row = self._row(f"{goal.roi} {goal.text}", "clinical goal")
            item = QtWidgets.QTableWidgetItem(f"{goal.value:.4g} {'✓' if goal.met else '✗'}")
            item.setBackground(PASS if goal.met else FAIL)
            item.setToolTip(f"{goal.roi} {goal.text}: {goal.value:.4g} ({'met' if goal.met else 'not met'})")
            self.setItem(row, column, item)
        for name, value in snapshot.metrics.items():
            row = self._row(name, "recorded metric")
            self.setItem(row, column, QtWidgets.QTableWidgetItem(f"{value:.4g}"))
        self.resizeColumnsToContents()
        self.scrollTo(self.model().index(0, column), QtWidgets.QAbstractItemView.PositionAtCenter)
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().maximum() if column == len(self.columns) - 1
                                            else self.horizontalScrollBar().value())

    def cell_text(self, row_key: str, column_label: str) -> str:
        item = self.item(self.rows.index(row_key), self.columns.index(column_label))
        return item.text() if item else ""


class RunPanel(QtWidgets.QWidget):
    """See module doc. `flow_provider()` gives the flow to run (a copy is run); `check()` refuses invalid flows."""

    node_state = QtCore.Signal(str, object)   # node id, state or None
    node_note = QtCore.Signal(str, object, str)  # node id, Severity, what the run said of the node
    states_cleared = QtCore.Signal()
    running_changed = QtCore.Signal(bool)

    def __init__(self, flow_provider: Callable[[], Flow], check: Callable[[], str | None],
                 raystation_backend_factory: Callable[[], Backend] | None = None, runs_dir: Path | None = None,
                 parent=None, registry: Registry | None = None,
                 choose_patient: Callable[[], Path | None] | None = None):
        super().__init__(parent)
        self.choose_patient = choose_patient
        self.registry = registry or default_registry()
        self.titles: dict[str, str] = {}
        self.edited_during_run = False
        self.flow_provider = flow_provider
        self.check = check
        self.raystation_backend_factory = raystation_backend_factory
        self.runs_dir = runs_dir or Path(tempfile.gettempdir()) / "planflow-runs"
        self.thread: QtCore.QThread | None = None
        self.worker: RunWorker | None = None
        self.outcome = None
        self.events: list[RunEvent] = []
        self.snapshots: list[Snapshot] = []
        self.states: dict[str, str] = {}
        self.max_rounds = 0
        self._build()

    # -- layout ----------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.backend_combo = QtWidgets.QComboBox()
        self.backend_combo.addItem("Simulated patient", "simulated")
        if self.raystation_backend_factory is not None:
            self.backend_combo.addItem("RayStation (open case)", "raystation")
        self.case_combo = QtWidgets.QComboBox()
        self.case_combo.addItems(CASES)
        if self.choose_patient is not None:
            self.case_combo.addItem(PATIENT_ITEM)
        self.case_combo.activated.connect(self._case_chosen)
        self.grid_spin = QtWidgets.QDoubleSpinBox()
        self.grid_spin.setRange(2.5, 10.0)
        self.grid_spin.setSingleStep(2.5)
        self.grid_spin.setDecimals(1)
        self.grid_spin.setSuffix(" mm")
        self.grid_spin.setValue(5.0)
        self.grid_spin.setToolTip("Dose grid of the simulated patient: coarser runs faster")
        self.run_button = QtWidgets.QPushButton("▶  Run")
        self.run_button.setToolTip("Run the flow (F5)")
        self.stop_button = QtWidgets.QPushButton("■  Stop")
        self.stop_button.setToolTip("Stop after the node that is running (Shift+F5)")
        self.stop_button.setEnabled(False)
        self.report_button = QtWidgets.QPushButton("Report…")
        self.report_button.setToolTip("Write the HTML report of the last run and open it")
        self.report_button.setEnabled(False)
        self.status = QtWidgets.QLabel("Not run yet.")
        self.status.setWordWrap(True)
        self.edit_note = QtWidgets.QLabel("The flow was edited during this run: the run uses the flow as it was "
                                          "when it started.")
        self.edit_note.setWordWrap(True)
        self.edit_note.setStyleSheet("color: #e6b428;")
        self.edit_note.setVisible(False)
        self.backend_combo.currentIndexChanged.connect(self._backend_changed)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.report_button.clicked.connect(self.open_report)

        form = QtWidgets.QHBoxLayout()
        form.addWidget(self.backend_combo, 2)
        form.addWidget(self.case_combo, 1)
        form.addWidget(self.grid_spin, 1)
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.report_button):
            buttons.addWidget(button)
        self.backend_combo.setToolTip("Where the flow runs")
        self.case_combo.setToolTip("Simulated patient: a phantom (lung, lung_left, esophagus, prostate) or a DICOM "
                                   "patient folder (CT series and RTSTRUCT)")
        self.log_view = QtWidgets.QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(20000)
        self.log_view.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        self.log_view.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.status)
        left.addWidget(self.edit_note)
        left.addWidget(self.log_view, 1)
        self.log_view.setMinimumHeight(30)
        self.log_view.setPlaceholderText("Run log")
        left_box = QtWidgets.QWidget()
        left_box.setLayout(left)

        self.metrics = MetricsTable()
        metrics_box = QtWidgets.QWidget()
        metrics_layout = QtWidgets.QVBoxLayout(metrics_box)
        metrics_layout.setContentsMargins(0, 0, 0, 0)
        metrics_layout.addWidget(QtWidgets.QLabel("Clinical criteria and metrics per round"))
        metrics_layout.addWidget(self.metrics)
        self.plot = DvhPlot()
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(left_box)
        splitter.addWidget(metrics_box)
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 4)
        splitter.setStretchFactor(2, 4)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _backend_changed(self) -> None:
        simulated = self.backend_combo.currentData() == "simulated"
        self.case_combo.setEnabled(simulated)
        self.grid_spin.setEnabled(simulated)

    def _case_chosen(self, index: int) -> None:
        """'DICOM patient…' asks for a folder; a chosen folder becomes an entry of its own."""
        if self.case_combo.itemText(index) != PATIENT_ITEM:
            return
        folder = self.choose_patient()
        if folder is None:
            self.case_combo.setCurrentIndex(0)
            return
        self.choose_patient_folder(folder)

    def choose_patient_folder(self, folder: Path) -> None:
        """Plan on the DICOM patient in `folder` (read when the run starts)."""
        label = f"patient {folder.name}"
        found = self.case_combo.findText(label)
        if found < 0:
            self.case_combo.insertItem(self.case_combo.count() - 1, label, str(folder))
            found = self.case_combo.findText(label)
        self.case_combo.setCurrentIndex(found)

    def choose_simulated(self, case: str, grid_mm: float) -> None:
        """Select the simulated backend with a case and grid (menus, tests, the screenshot command)."""
        self.backend_combo.setCurrentIndex(0)
        self.case_combo.setCurrentText(case)
        self.grid_spin.setValue(grid_mm)

    # -- running ---------------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self) -> bool:
        """Start a run of the current flow; False when refused (already running, or the flow is invalid)."""
        if self.running:
            return False
        problem = self.check()
        if problem:
            self.status.setText(f"<b style='color:#ff6b6b'>Not run:</b> {problem}")
            return False
        flow = self.flow_provider().model_copy(deep=True)
        if self.backend_combo.currentData() == "raystation":
            factory, case = self.raystation_backend_factory, "RayStation"
        else:
            case, folder = self.case_combo.currentText(), self.case_combo.currentData()
            factory = simulated_factory(case, self.grid_spin.value(), Path(folder) if folder else None)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out_dir = self.runs_dir / f"{_safe(flow.meta.name)}-{stamp}"
        self._reset()
        self.titles = {node.id: node_title(node, self.registry.get(node.type)) for node in flow.nodes}
        self.plot.rois = flow_rois(flow, self.registry)
        self.status.setText(f"Starting on {self.backend_combo.currentText()} ({case})…")
        self.worker = RunWorker(flow, factory, out_dir, case)
        self.thread = QtCore.QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.event.connect(self._on_event, QtCore.Qt.QueuedConnection)
        self.worker.finished.connect(self._on_finished, QtCore.Qt.QueuedConnection)
        for node in flow.nodes:
            self.states[node.id] = NodeState.PENDING
            self.node_state.emit(node.id, NodeState.PENDING.value)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.running_changed.emit(True)
        self.thread.start()
        return True

    def stop(self) -> None:
        """Ask the run to stop after the current node."""
        if self.worker is not None:
            self.worker.stop()
            self.status.setText("Stopping after the current node…")
            self._log("stop requested: the run ends after the node that is running")

    def clear(self) -> None:
        """Forget the last run (another flow was opened): criteria, DVH, log and report go."""
        if self.running:
            return
        self._reset()
        self.status.setText("Not run yet.")

    def flag_edit(self) -> None:
        """Say that the flow was edited while it runs: the run goes on with the flow as it was at its start."""
        if self.running and not self.edited_during_run:
            self.edited_during_run = True
            self._log("the flow was edited during the run: this run uses the flow as it was when it started")
            self.edit_note.setVisible(True)

    def _reset(self) -> None:
        self.edited_during_run = False
        self.edit_note.setVisible(False)
        self.outcome = None
        self.events, self.snapshots, self.states = [], [], {}
        self.max_rounds = 0
        self.log_view.clear()
        self.metrics.reset()
        self.plot.clear()
        self.report_button.setEnabled(False)
        self.states_cleared.emit()

    def _log(self, text: str) -> None:
        self.log_view.appendPlainText(text)
        bar = self.log_view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_event(self, event: RunEvent, snapshot: Snapshot | None) -> None:
        self.events.append(event)
        state = STATE_OF.get(event.kind)
        if state and event.node_id:
            self.states[event.node_id] = state
            self.node_state.emit(event.node_id, state)
        if event.kind in NOTE_OF and event.node_id:
            severity, label = NOTE_OF[event.kind]
            where = f"round {event.round}: " if event.round else ""
            self.node_note.emit(event.node_id, severity, f"{where}{label}{event.message}")
        where = f"[r{event.round}] " if event.round else ""
        about_node = event.node_id and event.kind not in (EventKind.ROUND_STARTED, EventKind.ROUND_FINISHED)
        node = f"{self.titles.get(event.node_id, event.node_id)}: " if about_node else ""
        kind = event.kind.value.replace("_", " ")
        self._log(f"{time.strftime('%H:%M:%S', time.localtime(event.time))} {where}{kind:<14} {node}{event.message}")
        if event.kind is EventKind.ROUND_STARTED:
            self.status.setText(f"<b>Round {event.round}</b> — {event.message}")
        elif event.kind is EventKind.NODE_STARTED:
            round_text = f"Round {event.round} · " if event.round else ""
            self.status.setText(f"{round_text}running <b>{self.titles.get(event.node_id, event.message)}</b>")
        if snapshot is not None and (not self.snapshots or self.snapshots[-1] is not snapshot):
            previous = self.snapshots[-1] if self.snapshots else None
            self.snapshots.append(snapshot)
            self.metrics.add_snapshot(snapshot)
            self.plot.show_snapshot(snapshot, previous)

    def _on_finished(self, outcome, error: str) -> None:
        self.outcome = outcome
        thread, self.thread, self.worker = self.thread, None, None
        thread.quit()
        thread.wait()
        thread.deleteLater()
        for node_id, state in self.states.items():
            if state == NodeState.RUNNING:  # a stop ends between nodes; a failure marks its node itself
                self.states[node_id] = NodeState.FAILED
                self.node_state.emit(node_id, NodeState.FAILED.value)
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.report_button.setEnabled(outcome is not None and outcome.out_dir is not None)
        if outcome is None:
            self.status.setText(f"<b style='color:#ff6b6b'>Could not run:</b> {error}")
            self._log(f"could not run: {error}")
        else:
            result = outcome.result
            color = {RunStatus.COMPLETED: "#5fcf6f", RunStatus.STOPPED: "#e6b428"}.get(result.status, "#ff6b6b")
            rounds = f"{result.rounds} round{'s' * (result.rounds != 1)}, " if result.rounds else ""
            text = f"<b style='color:{color}'>{result.status.capitalize()}</b> — {rounds}{result.elapsed_s:.1f} s"
            if error:
                text += f"<br>{error}"
            if outcome.out_dir is not None:
                text += f"<br><span style='color:#9aa3ad'>log: {outcome.out_dir / 'run.jsonl'}</span>"
            self.status.setText(text)
        self.running_changed.emit(False)

    def failures(self) -> list[Problem]:
        """The node failure of the last run, with its full text, as a problem of its node."""
        return [Problem(e.node_id, e.node_type or "", f"round {e.round}" if e.round else "run", e.message)
                for e in self.events if e.kind is EventKind.NODE_FAILED and e.node_id]

    def open_report(self) -> Path | None:
        """Write the HTML report of the last run and open it in the browser."""
        if self.outcome is None or self.outcome.out_dir is None:
            return None
        from planflow_qt.report.writer import write_report

        path = write_report(self.outcome)
        QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path)))
        return path

    def wait(self, timeout_s: float = 120.0) -> bool:
        """Process events until the run ends (scripts and tests); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.running and time.monotonic() < deadline:
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.AllEvents, 50)
            if self.thread is not None:
                self.thread.wait(20)
        QtWidgets.QApplication.processEvents()
        return not self.running


def flow_rois(flow: Flow, registry: Registry) -> list[str]:
    """ROI names the flow works with (matched and created, as each node type names the ROI it gives), in flow
    order: what the DVH plot shows."""
    labels = (roi_label(node, registry.get(node.type)) for node in flow.nodes)
    return list(dict.fromkeys(label for label in labels if label))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")[:60] or "flow"
