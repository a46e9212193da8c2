"""Running a flow with its outputs: the audit log, the recorder, the report and the summary.

Used by `planflow run`, the editor's run panel and cohort studies, so every run leaves the same files:
`run.jsonl` (written as the run goes), `report.html` and `summary.json`.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from planflow_qt.backends.base import Backend
from planflow_qt.catalog.registry import default_registry, plays
from planflow_qt.catalog.spec import Role
from planflow_qt.engine.events import EventKind, JsonlLog, Observer, RunEvent
from planflow_qt.engine.interpreter import Interpreter, RunResult
from planflow_qt.engine.ledger import Leftovers, unsaved_summary
from planflow_qt.engine.states import RunStatus
from planflow_qt.engine.validation import Analysis
from planflow_qt.model.document import Flow, now_iso
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import read_json, write_text_atomic
from planflow_qt.report.snapshots import RunRecorder, summary
from planflow_qt.run_folder import RunFolderError, owned_folder

log = logging.getLogger(__name__)

UNSAVED_NAME = "unsaved.json"

@dataclass
class RunOutcome:
    """A finished run: its result, what was recorded, and where the files are."""

    flow: Flow
    result: RunResult
    recorder: RunRecorder
    backend: Backend
    case: str
    out_dir: Path | None
    plotted_rois: list[str]
    report_warnings: list[str] = field(default_factory=list)

    @property
    def unsaved(self) -> list[str]:
        """Lines saying what a failed or stopped run changed in the case and did not save (empty otherwise)."""
        ends = [e for e in self.recorder.events if e.kind in (EventKind.RUN_FAILED, EventKind.RUN_STOPPED)]
        return unsaved_summary(ends[-1].data) if ends else []

    @property
    def summary(self) -> dict:
        data = summary(self.recorder, self.result.status, self.result.rounds, self.result.elapsed_s)
        return {**data, "report_warnings": self.report_warnings} if self.report_warnings else data


def matched_rois(flow: Flow, roi_map: dict[str, str]) -> list[str]:
    """Case names of the ROIs the flow matched (not its helper ROIs), in flow order."""
    registry = default_registry()
    names = [roi_map[n.params.get("name")] for n in flow.nodes
             if plays(registry, n.type, Role.CASE_ROI) and n.params.get("name") in roi_map]
    return list(dict.fromkeys(names))


def execute(flow: Flow, backend: Backend, out_dir: str | Path | None = None, case: str = "",
            observers: list[Observer] | tuple[Observer, ...] = (),
            interpreter_hook=None, checked: Analysis | None = None) -> RunOutcome:
    """Run `flow` on `backend`; with `out_dir`, write `run.jsonl` as it goes and `summary.json` after.

    The output folder is held by this run alone (`RunFolderError` when another run holds it or it cannot be
    written). A failed or stopped run leaves `unsaved.json` there: what it changed in the case and did not
    save, which the next run's preflight uses to say what blocks it.
    `interpreter_hook(interpreter)` is called before the run starts (the editor keeps it to stop the run).
    `checked` is the flow's analysis when the caller has validated and preflighted it already: the run does
    neither again.
    """
    if out_dir is None:
        return _execute(flow, backend, None, case, observers, interpreter_hook, checked)
    with owned_folder(out_dir, flow.meta.name) as out:
        return _execute(flow, backend, out, case, observers, interpreter_hook, checked)


class _ReportingProblems(logging.Handler):
    """Turns the warnings of the report's measurements during this run (a DVH or goal query the backend
    refused) into run warnings, so they reach the audit log, the console and the report."""

    def __init__(self, observers: list[Observer]):
        super().__init__(logging.WARNING)
        self.observers = observers
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = f"report: {record.getMessage()}"
        self.messages.append(message)
        event = RunEvent(EventKind.WARNING, message)
        for observer in self.observers:
            observer(event)


def _execute(flow: Flow, backend: Backend, out: Path | None, case: str, observers, interpreter_hook,
             checked: Analysis | None) -> RunOutcome:
    recorder = RunRecorder(backend)
    audit = None
    leftovers = None
    if out is not None:
        leftovers = read_leftovers(out)
        try:
            audit = JsonlLog(out / "run.jsonl", fresh=True)
        except OSError as exc:
            raise RunFolderError(f"{out / 'run.jsonl'} cannot be written ({exc.strerror or exc}): choose "
                                 "another --out") from None
    others: list[Observer] = [*([audit] if audit else []), *observers]
    reporting = _ReportingProblems([recorder.events.append, *others])
    interpreter = Interpreter(flow, backend, [recorder, *others], leftovers=leftovers,  # snapshots before the end
                              analysis=checked)
    if interpreter_hook is not None:
        interpreter_hook(interpreter)
    started = now_iso()
    report_log = logging.getLogger("planflow_qt.report")
    report_log.addHandler(reporting)
    try:
        result = interpreter.run(check_case=checked is None)
    finally:
        report_log.removeHandler(reporting)
        if audit is not None:
            audit.close()
    outcome = RunOutcome(flow, result, recorder, backend, case, out, matched_rois(flow, interpreter.roi_map),
                         reporting.messages)
    if out is not None:
        write_text_atomic(out / "summary.json", json.dumps(outcome.summary, indent=1) + "\n", keep_backup=False)
        _keep_leftovers(out, result.status, started, interpreter.ledger.report(backend.name))
    return outcome


def read_leftovers(out: Path) -> Leftovers | None:
    """What the previous run into `out` left unsaved in the case, if it failed or was stopped."""
    path = out / UNSAVED_NAME
    if not path.exists():
        return None
    try:
        return Leftovers.from_data(read_json(path))
    except (FlowFileError, TypeError, ValueError) as exc:
        log.warning("%s unreadable, ignored: %s", path, exc)
        return None


def _keep_leftovers(out: Path, status: str, started: str, report: dict) -> None:
    path = out / UNSAVED_NAME
    if status in (RunStatus.FAILED, RunStatus.STOPPED) and report["unsaved"]:
        write_text_atomic(path, json.dumps({"status": status, "started": started, **report}, indent=1,
                                           ensure_ascii=False) + "\n", keep_backup=False)
    elif status == RunStatus.COMPLETED:
        path.unlink(missing_ok=True)
