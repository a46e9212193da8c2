"""A study from start to end: check the folder's manifest, load finished results, run the rest, write outputs.

Every (patient, flow variant) result is saved atomically as `results/<variant>-seed<NNNN>.json` the moment it
arrives, so a study that is stopped and started again computes only what is missing.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from planflow_qt.model.files import dumps_flow, flow_from_data, parse_json_text, write_text_atomic
from planflow_qt.study.execution import run_tasks
from planflow_qt.study.matching import matched_flow
from planflow_qt.study.spec import StudyError, StudySpec, Variant, manifest, manifest_mismatch, variants
from planflow_qt.study.stats import Comparison
from planflow_qt.study.table import compare_variants
from planflow_qt.study.worker import PatientTask, result_name

log = logging.getLogger(__name__)

INFLUENCE_FOLDER = "influence-cache"
"""Where a study's local workers share each patient's influence matrices; removed when the study ends."""


@dataclass
class StudyResult:
    """A finished study: its variants, every patient result, the comparison table per variant of A."""

    spec: StudySpec
    out_dir: Path
    variants: list[Variant]
    baseline: Variant
    results: dict[str, dict[str, Any]]
    tables: dict[str, list[Comparison]]
    computed: int
    reused: int
    failed: list[str] = field(default_factory=list)
    matched: dict[str, Variant] = field(default_factory=dict)
    """Per variant of A, flow B's iteration-matched control (one budget per patient)."""
    matched_tables: dict[str, list[Comparison]] = field(default_factory=dict)
    """Per variant of A, the comparison with its iteration-matched control."""

    @property
    def flows(self) -> list[Variant]:
        """Every flow run on each patient: the variants of A, B, then the matched controls."""
        return [*self.variants, self.baseline, *self.matched.values()]


def _check_manifest(spec: StudySpec, out_dir: Path, fresh: bool) -> None:
    path = out_dir / "study.json"
    new = manifest(spec)
    if fresh and out_dir.exists():
        shutil.rmtree(out_dir / "results", ignore_errors=True)
    elif path.exists():
        from planflow_qt.model.files import FlowFileError, read_json

        old = read_json(path)
        if not isinstance(old, dict):
            raise FlowFileError(path, "not a study manifest: use --fresh to start the study again in this "
                                      "folder, or another --out")
        diffs = manifest_mismatch(old, new)
        if diffs:
            raise StudyError(f"{out_dir} holds results of a different study ({'; '.join(diffs)}): "
                             "use another --out folder, or --fresh to discard them")
    write_text_atomic(path, json.dumps(new, indent=1) + "\n", keep_backup=False)


def _load_result(path: Path) -> dict[str, Any] | None:
    """A saved patient result, or None (computed again) when it is unreadable or not a result."""
    from planflow_qt.model.files import FlowFileError, read_json

    try:
        result = read_json(path)
    except FlowFileError as exc:
        log.warning("%s unreadable, computing it again: %s", path, exc.detail)
        return None
    if not (isinstance(result, dict) and isinstance(result.get("status"), str)
            and isinstance(result.get("metrics"), dict)):
        log.warning("%s is not a patient result, computing it again", path)
        return None
    return result


def _progress(show: bool) -> Progress:
    return Progress(TextColumn("[bold]study[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.description}"), console=Console(stderr=True), disable=not show)


def _run_missing(tasks: list[PatientTask], results: dict[str, dict[str, Any]], results_dir: Path, jobs: int,
                 scheduler: Any, show_progress: bool) -> int:
    """Load the finished results of `tasks` into `results`, run the others; returns how many were run."""
    missing = []
    for task in tasks:
        path = results_dir / f"{task.name}.json"
        loaded = _load_result(path) if path.exists() else None
        if loaded is None:
            missing.append(task)
        else:
            results[task.name] = loaded
    log.info("%d result(s) reused, %d to compute", len(tasks) - len(missing), len(missing))
    if scheduler is None:  # local workers share the patients' influence matrices (Dask workers may be remote)
        missing = [replace(t, influence_dir=str(results_dir.parent / INFLUENCE_FOLDER)) for t in missing]
    with _progress(show_progress) as progress:
        bar = progress.add_task("", total=len(missing))
        for task, result, keep in run_tasks(missing, jobs, scheduler):
            results[task.name] = result
            if keep:
                write_text_atomic(results_dir / f"{task.name}.json", json.dumps(result, indent=1) + "\n",
                                  keep_backup=False)
            progress.update(bar, advance=1, description=f"{task.name} {result['status']}")
    return len(missing)


def _matched_tasks(variant: Variant, flow_b: Variant, spec: StudySpec,
                   results: dict[str, dict[str, Any]]) -> tuple[Variant, list[PatientTask]]:
    """Flow B's iteration-matched control of `variant`, and one task per patient whose A run completed:
    B given as many optimization iterations as A spent on that patient."""
    base = flow_from_data(parse_json_text(flow_b.flow_text, flow_b.label), flow_b.label)
    key = f"m{variant.key}"
    tasks, budgets = [], []
    for seed in spec.seeds:
        result = results.get(result_name(variant.key, seed), {})
        budget = int(result.get("optimization_iterations", 0))
        control = matched_flow(base, budget) if result.get("status") == "completed" else None
        if control is not None:
            budgets.append(budget)
            tasks.append(PatientTask(key, dumps_flow(control), spec.case, spec.grid_mm, seed, spec.patient_dir(seed)))
    low, high = min(budgets, default=0), max(budgets, default=0)
    span = f"{low}-{high}" if low != high else str(high)
    label = f"{flow_b.label} (iteration-matched to {variant.label}: {span} iterations)"
    return Variant(key, label, flow_b.flow_text), tasks


def run_study(spec: StudySpec, out_dir: str | Path, jobs: int = 1, scheduler: Any = None, fresh: bool = False,
              show_progress: bool = False) -> StudyResult:
    """Run (or resume) `spec` with its outputs in `out_dir`; returns the results and tables.

    `jobs` worker processes run patients in parallel; with `scheduler` (a Dask address or cluster) they run
    on Dask instead. DICOM patients are read and the flows preflighted on each before anything runs
    (`PatientError`, `StudyError`). Failed patients are recorded and left out of the statistics. The output
    folder is held by this study alone (`RunFolderError` otherwise).
    """
    from planflow_qt.run_folder import owned_folder

    out = Path(out_dir)
    flows_a, flow_b = variants(spec)
    if spec.patients:
        from planflow_qt.study.patients import check_patients

        check_patients(spec, [*flows_a, flow_b])
    with owned_folder(out, f"study {spec.flow_a.name} vs {spec.flow_b.name}"):
        return _run(spec, out, flows_a, flow_b, jobs, scheduler, fresh, show_progress)


def _run(spec: StudySpec, out: Path, flows_a: list[Variant], flow_b: Variant, jobs: int, scheduler: Any,
         fresh: bool, show_progress: bool) -> StudyResult:
    from planflow_qt.study.report import write_outputs

    _check_manifest(spec, out, fresh)
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    tasks = [PatientTask(v.key, v.flow_text, spec.case, spec.grid_mm, seed, spec.patient_dir(seed))
             for seed in spec.seeds for v in [*flows_a, flow_b]]
    results: dict[str, dict[str, Any]] = {}
    computed = _run_missing(tasks, results, results_dir, jobs, scheduler, show_progress)
    matched: dict[str, Variant] = {}
    if spec.matched:
        # The control needs each patient's budget: what A's run spent on that patient.
        control_tasks = []
        for variant in flows_a:
            control, texts = _matched_tasks(variant, flow_b, spec, results)
            if texts:
                matched[variant.key] = control
                control_tasks += texts
        computed += _run_missing(control_tasks, results, results_dir, jobs, scheduler, show_progress)
        tasks += control_tasks
    failed = [name for name, r in results.items() if r["status"] != "completed"]
    tables = {v.key: compare_variants(v, flow_b, results, spec.seeds) for v in flows_a}
    matched_tables = {k: compare_variants(next(v for v in flows_a if v.key == k), m, results, spec.seeds)
                      for k, m in matched.items()}
    study = StudyResult(spec, out, flows_a, flow_b, results, tables, computed, len(tasks) - computed, failed,
                        matched, matched_tables)
    shutil.rmtree(out / INFLUENCE_FOLDER, ignore_errors=True)
    write_outputs(study)
    return study
