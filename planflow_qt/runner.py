"""Running a flow with its outputs: the audit log, the recorder, the report and the summary.

Used by `planflow run`, the editor's run panel and cohort studies, so every run leaves the same files:
`run.jsonl` (written as the run goes), `report.html` and `summary.json`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from planflow_qt.backends.base import Backend
from planflow_qt.engine.events import JsonlLog, Observer
from planflow_qt.engine.interpreter import Interpreter, RunResult
from planflow_qt.model.document import Flow
from planflow_qt.model.files import write_text_atomic
from planflow_qt.report.snapshots import RunRecorder, summary

log = logging.getLogger(__name__)

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

    @property
    def summary(self) -> dict:
        return summary(self.recorder, self.result.status, self.result.rounds, self.result.elapsed_s)


def matched_rois(flow: Flow, roi_map: dict[str, str]) -> list[str]:
    """Case names of the ROIs the flow matched (not its helper ROIs), in flow order."""
    names = [roi_map[n.params.get("name")] for n in flow.nodes
             if n.type == "roi.match" and n.params.get("name") in roi_map]
    return list(dict.fromkeys(names))


def execute(flow: Flow, backend: Backend, out_dir: str | Path | None = None, case: str = "",
            observers: list[Observer] | tuple[Observer, ...] = (),
            interpreter_hook=None) -> RunOutcome:
    """Run `flow` on `backend`; with `out_dir`, write `run.jsonl` as it goes and `summary.json` after.

    `interpreter_hook(interpreter)` is called before the run starts (the editor keeps it to stop the run).
    """
    out = Path(out_dir) if out_dir is not None else None
    recorder = RunRecorder(backend)
    chain: list[Observer] = [recorder, *observers]
    audit = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "run.jsonl").unlink(missing_ok=True)
        audit = JsonlLog(out / "run.jsonl")
        chain.insert(0, audit)
    interpreter = Interpreter(flow, backend, chain)
    if interpreter_hook is not None:
        interpreter_hook(interpreter)
    try:
        result = interpreter.run()
    finally:
        if audit is not None:
            audit.close()
    outcome = RunOutcome(flow, result, recorder, backend, case, out, matched_rois(flow, interpreter.roi_map))
    if out is not None:
        write_text_atomic(out / "summary.json", json.dumps(outcome.summary, indent=1) + "\n", keep_backup=False)
    return outcome
