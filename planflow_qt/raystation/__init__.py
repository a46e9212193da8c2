"""PlanFlow inside RayStation's script console.

```python
from planflow_qt.raystation import main, run_flow
main()                                   # the editor, bound to the current case
run_flow(r"C:\\PlanFlow\\flows\\lung_progressive.json", out_dir=r"C:\\PlanFlow\\runs\\lung")   # headless
```
`run_flow` checks first (a case is open, the flow is valid, its ROIs match the case, nothing it creates
exists yet) and refuses with a clear message, changing nothing, when a check fails.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation.api import RayStationUnavailable, find_scripting
from planflow_qt.backends.raystation.backend import RayStationBackend
from planflow_qt.backends.raystation.binding import bind_current_case, case_label
from planflow_qt.engine.events import Observer
from planflow_qt.engine.interpreter import RunResult
from planflow_qt.engine.states import RunStatus
from planflow_qt.engine.validation import Problem, analyze
from planflow_qt.model.files import FlowFileError
from planflow_qt.model.legacy import load_any
from planflow_qt.raystation.preflight import CaseCheck, check_case
from planflow_qt.raystation.progress import PlainProgress, StatusBarProgress
from planflow_qt.run_folder import RunFolderError
from planflow_qt.runner import execute, read_leftovers

log = logging.getLogger(__name__)

EDITOR_MISSING = (
    "PlanFlow's editor could not be imported (planflow_qt.editor.app). Install its dependencies into "
    "RayStation's Python (PySide6-Essentials and NodeGraphQt, see the README section 'Running in RayStation'), "
    "or run a flow without the editor: run_flow(path).")


class _Console:
    """Output in the script console: rich when it is installed, plain text otherwise (both on stdout)."""

    def __init__(self) -> None:
        self.stream = sys.stdout
        try:
            from rich.console import Console
        except ImportError:
            self.rich = None
        else:
            self.rich = Console(file=self.stream, highlight=False, soft_wrap=True)

    def line(self, text: str, style: str = "") -> None:
        if self.rich is not None:
            self.rich.print(text, style=style or None, markup=False)
        else:
            self.stream.write(text + "\n")

    def table(self, title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        if self.rich is not None:
            from rich.table import Table

            table = Table(title=title, title_justify="left", show_edge=False)
            for header in headers:
                table.add_column(header)
            for row in rows:
                table.add_row(*row, style="bold red" if "MISSING" in row else None)
            self.rich.print(table)
            return
        widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
        self.line(title)
        for row in (headers, *rows):
            self.line("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    def progress(self) -> Any:
        """The per-round progress observer (call `close()` on it when the run ends, if it has one)."""
        if self.rich is not None:
            from planflow_qt.progress import ConsoleProgress

            return ConsoleProgress(console=self.rich, quiet=True)
        return PlainProgress(self.stream)


def _show_backend_logs() -> None:
    """Show the RayStation backend's notes (version adapters) in the console when nobody set up logging."""
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("planflow_qt.backends.raystation")
    if not logger.handlers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _refuse(console: _Console, message: str, status: str = RunStatus.REFUSED,
            problems: list[Problem] | None = None) -> RunResult:
    console.line(f"PlanFlow did not start: {message}", style="bold red")
    console.line("Nothing was changed in RayStation.")
    return RunResult(status, error=message, problems=list(problems or []))


def _print_check(console: _Console, check: CaseCheck) -> None:
    console.table("ROI matching (flow ROI -> case ROI)", ("flow ROI", "case ROI", ""), check.table())
    for problem in check.problems:
        console.line(f"  problem: {problem.format()}", style="red")


def run_flow(path: str | Path, out_dir: str | Path | None = None,
             observers: list[Observer] | None = None) -> RunResult:
    """Run a flow on the case open in RayStation, printing the preflight and each round; return its result.

    With `out_dir`, the audit log `run.jsonl` and `summary.json` are written there; `observers` also receive
    the run's events. Refuses to start (status
    `refused` or `invalid`, nothing changed) when no case is open, the flow is invalid, a required ROI is
    missing, or an ROI or plan the flow creates already exists.
    """
    console = _Console()
    _show_backend_logs()
    try:
        scripting = find_scripting()
    except RayStationUnavailable as exc:
        return _refuse(console, str(exc))
    if scripting.current("Case") is None:
        return _refuse(console, "no case is open in RayStation: open a patient and a case, then run the "
                                "script again.")
    try:
        flow, warnings = load_any(path)
    except FlowFileError as exc:
        return _refuse(console, str(exc), status=RunStatus.INVALID)
    for warning in warnings:
        console.line(f"  {path}: warning: {warning}")
    analysis = analyze(flow)
    if not analysis.ok:
        for problem in analysis.problems:
            console.line(f"  {problem.format(str(path))}", style="red")
        return _refuse(console, f"the flow {str(path)!r} is invalid (problems above)", RunStatus.INVALID,
                       analysis.problems)
    console.line(f"PlanFlow: {flow.meta.name!r} on {case_label(scripting) or 'the current case'}", style="bold")
    backend = RayStationBackend(scripting)
    try:
        check = check_case(analysis, backend)
    except BackendError as exc:
        return _refuse(console, str(exc))
    leftovers = read_leftovers(Path(out_dir)) if out_dir is not None and Path(out_dir).is_dir() else None
    if leftovers is not None:
        check.problems = leftovers.explain(check.problems)
    _print_check(console, check)
    if check.problems:
        return _refuse(console, f"{len(check.problems)} preflight problem(s) (listed above)", problems=check.problems)
    console.line("Preflight passed: running.")
    progress = console.progress()
    try:
        outcome = execute(flow, backend, out_dir, case=case_label(scripting),
                          observers=[progress, StatusBarProgress(backend), *(observers or [])], checked=analysis)
    except RunFolderError as exc:
        return _refuse(console, str(exc))
    finally:
        getattr(progress, "close", lambda: None)()
    result = outcome.result
    for line in outcome.unsaved:
        console.line(line, style="red")
    rounds = f"{result.rounds} round(s), " if result.rounds else ""
    console.line(f"PlanFlow {result.status}: {rounds}{result.elapsed_s:.1f} s"
                 + (f"; log in {Path(out_dir).resolve()}" if out_dir is not None else ""),
                 style="bold green" if result.status == RunStatus.COMPLETED else "bold red")
    return result


def main(flow_path: str | Path | None = None) -> Any:
    """Open the PlanFlow editor bound to the case open in RayStation (its ROIs, goal templates, machines)."""
    binding = bind_current_case()
    try:
        from planflow_qt.editor.app import launch
    except ImportError as exc:
        raise ImportError(f"{EDITOR_MISSING} ({exc})") from exc
    return launch(flow_path=flow_path, raystation=binding)
