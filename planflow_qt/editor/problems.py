"""Live validation: `analyze(flow)` shortly after each edit, and the problems list that selects a node on click."""

from __future__ import annotations

from Qt import QtCore, QtGui, QtWidgets

from planflow_qt.catalog.describe import node_title, where_text
from planflow_qt.catalog.registry import Registry
from planflow_qt.editor.debounce import single_shot
from planflow_qt.editor.document import DocumentController
from planflow_qt.engine.problems import Problem, Severity
from planflow_qt.engine.validation import Analysis, analyze
from planflow_qt.model.document import Flow

DEBOUNCE_MS = 150


class Validator(QtCore.QObject):
    """Re-validates the document 150 ms after the last change and reports the Analysis."""

    analyzed = QtCore.Signal(object)

    def __init__(self, doc: DocumentController, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.last: Analysis | None = None
        self._timer = single_shot(self, DEBOUNCE_MS, self.run_now)
        doc.changed.connect(self._timer.start)

    def run_now(self) -> Analysis:
        """Validate at once (also used by tests and before a run)."""
        self._timer.stop()
        self.last = analyze(self.doc.flow, self.doc.registry)
        self.analyzed.emit(self.last)
        return self.last

    def pending(self) -> bool:
        return self._timer.isActive()


def problem_text(problem: Problem, flow: Flow, registry: Registry) -> str:
    """A problem in the planner's words: `Objective: Dose (cGy): message`."""
    node_type = registry.get(problem.node_type) if problem.node_type else None
    node = next((n for n in flow.nodes if n.id == problem.node_id), None)
    where = where_text(problem.field, node_type)
    if node is None:
        return f"{where}: {problem.message}"
    return f"{node_title(node, node_type)}: {where}: {problem.message}"


class ProblemsPanel(QtWidgets.QWidget):
    """The list of problems: node, field, message; a click selects and centres the node.

    Notes of the last import (what a Planning-Flow conversion could not carry over) are listed after the
    problems until another flow is opened.
    """

    node_activated = QtCore.Signal(str)
    COLUMNS = ("Node", "Type", "Where", "Problem")

    def __init__(self, doc: DocumentController, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.analysis: Analysis | None = None
        self.run_problems: list[Problem] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QtWidgets.QLabel()
        self.table = QtWidgets.QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.import_notes: list[Problem] = []
        self.table.cellClicked.connect(self._clicked)
        self.table.cellActivated.connect(self._clicked)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)

    def set_run_problems(self, problems: list[Problem]) -> None:
        """What the last run failed on, listed after the flow's own problems until the next run."""
        self.run_problems = problems
        if self.analysis is not None:
            self.show_analysis(self.analysis)

    def set_import_notes(self, warnings: list[str]) -> None:
        """List the warnings of an import (every one of them) after the problems."""
        self.import_notes = [Problem("", "", "import", text, Severity.WARNING) for text in warnings]

    def show_analysis(self, analysis: Analysis) -> None:
        self.analysis = analysis
        problems = [*analysis.problems, *self.run_problems, *self.import_notes]
        errors = sum(p.is_error for p in problems)
        if problems:
            self.summary.setText(f"<b style='color:#ff6b6b'>{errors} error{'s' * (errors != 1)}</b>"
                                 f"{f', {len(problems) - errors} warnings' if len(problems) > errors else ''}"
                                 " — click one to go to its node")
        else:
            self.summary.setText("<b style='color:#5fcf6f'>No problems</b> — the flow can run")
        self.table.setRowCount(len(problems))
        nodes = {node.id: node for node in self.doc.flow.nodes}
        registry = self.doc.registry
        red = QtGui.QColor(255, 120, 120)
        for row, problem in enumerate(problems):
            node_type = registry.get(problem.node_type) if problem.node_type else None
            node = nodes.get(problem.node_id)
            node_text = node_title(node, node_type) if node is not None else ("flow" if not problem.node_id
                                                                             else problem.node_id)
            type_text = node_type.spec.title if node_type else problem.node_type
            cells = (node_text, type_text, where_text(problem.field, node_type), problem.message)
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setData(QtCore.Qt.UserRole, problem.node_id)
                item.setToolTip(f"{node_text} ({type_text}): {cells[2]}: {problem.message}")
                if column == 0 and problem.is_error:
                    item.setForeground(red)
                self.table.setItem(row, column, item)

    def _clicked(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_activated.emit(item.data(QtCore.Qt.UserRole))

    def row_count(self) -> int:
        return self.table.rowCount()
