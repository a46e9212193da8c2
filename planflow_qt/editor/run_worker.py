"""Running a flow off the UI thread: a QThread worker that forwards run events to the UI as Qt signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from Qt import QtCore

from planflow_qt.backends.base import Backend
from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.model.document import Flow
from planflow_qt.report.snapshots import RunRecorder
from planflow_qt.runner import execute

log = logging.getLogger(__name__)

BackendFactory = Callable[[], Backend]


class RunWorker(QtCore.QObject):
    """Builds the backend and runs the flow in its own thread; `stop()` may be called from the UI thread.

    `event(RunEvent, snapshot or None)` arrives on the UI thread (queued); the snapshot is the one the
    recorder took at a round's end or the run's end. `finished(RunOutcome or None, error text)` ends it.
    """

    event = QtCore.Signal(object, object)
    finished = QtCore.Signal(object, str)

    def __init__(self, flow: Flow, make_backend: BackendFactory, out_dir: Path | None, case: str = ""):
        super().__init__()
        self.flow = flow
        self.make_backend = make_backend
        self.out_dir = out_dir
        self.case = case
        self.interpreter: Interpreter | None = None
        self._recorder: RunRecorder | None = None
        self._stop_requested = False

    def _keep(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self._recorder = next((o for o in interpreter.observers if isinstance(o, RunRecorder)), None)
        if self._stop_requested:
            interpreter.request_stop()

    def _forward(self, event: RunEvent) -> None:
        snapshot = None
        if event.kind in (EventKind.ROUND_FINISHED, EventKind.RUN_FINISHED, EventKind.RUN_STOPPED) \
                and self._recorder is not None and self._recorder.snapshots:
            snapshot = self._recorder.snapshots[-1]
        self.event.emit(event, snapshot)

    def stop(self) -> None:
        """Ask the run to end after the node that is running."""
        self._stop_requested = True
        if self.interpreter is not None:
            self.interpreter.request_stop()

    def run(self) -> None:
        """The thread's work: build the backend, run, report the outcome (never raises)."""
        try:
            backend = self.make_backend()
            outcome = execute(self.flow, backend, self.out_dir, case=self.case, observers=[self._forward],
                              interpreter_hook=self._keep)
        except Exception as exc:  # a backend that cannot start must not take the editor down
            log.exception("run failed before it started")
            self.finished.emit(None, f"{type(exc).__name__}: {exc}")
            return
        self.finished.emit(outcome, outcome.result.error)
