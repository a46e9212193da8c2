"""One patient of a study: run one flow variant on one seeded phantom or one DICOM patient.

`run_patient` is a top-level function taking a picklable task and returning plain data, so it runs the
same way in this process, in a process pool (spawn-safe) or on a Dask worker without a shared folder.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from planflow_qt.study.metrics import patient_metrics

log = logging.getLogger(__name__)


def result_name(variant: str, seed: int) -> str:
    """The name of a (variant, patient) result and the stem of its file, e.g. `a-seed0003`."""
    return f"{variant}-seed{seed:04d}"


@dataclass(frozen=True)
class PatientTask:
    """A flow variant (its JSON text) on the patient drawn by `seed` of `case` at `grid_mm`, or on the DICOM
    patient in `patient_dir` (then `seed` is its number in the study). With `influence_dir`, influence
    matrices are shared there with the other runs of the same patient (`InfluenceStore`)."""

    variant: str
    flow_text: str
    case: str
    grid_mm: float
    seed: int
    patient_dir: str = ""
    influence_dir: str = ""

    @property
    def name(self) -> str:
        """The result's name (see `result_name`)."""
        return result_name(self.variant, self.seed)


@functools.lru_cache(maxsize=1)
def dicom_patient(folder: str, grid_mm: float):
    """The DICOM patient in `folder` on a `grid_mm` grid, kept for the next task: the flows of one patient run
    one after the other, and a backend does not change the patient it is given."""
    from planflow_qt.patients.dicom_import import read_patient

    return read_patient(folder, grid_mm=grid_mm)


def run_patient(task: PatientTask) -> dict[str, Any]:
    """Run the task and return its result: status, error, rounds, time and metrics; never raises for a failed run."""
    from threadpoolctl import threadpool_limits

    from planflow_qt.backends.simulated import SimulatedBackend
    from planflow_qt.backends.simulated.influence_store import InfluenceStore
    from planflow_qt.model.files import flow_from_data, parse_json_text
    from planflow_qt.runner import execute

    started = time.perf_counter()
    result: dict[str, Any] = {"variant": task.variant, "seed": task.seed, "case": task.case,
                              "grid_mm": task.grid_mm, **({"patient": task.patient_dir} if task.patient_dir else {})}
    try:
        # one BLAS thread per worker: parallel patients, not parallel matrix products, fill the cores
        with threadpool_limits(limits=1):
            flow = flow_from_data(parse_json_text(task.flow_text, task.name), task.name)
            store = InfluenceStore(task.influence_dir) if task.influence_dir else None
            if task.patient_dir:
                backend = SimulatedBackend(patient=dicom_patient(task.patient_dir, task.grid_mm),
                                           influence_store=store)
                case = backend.patient.label
            else:
                backend = SimulatedBackend(case=task.case, grid_mm=task.grid_mm, seed=task.seed,
                                           influence_store=store)
                case = task.case
            outcome = execute(flow, backend, None, case=case)
        summary = outcome.summary
        result.update(status=outcome.result.status, error=outcome.result.error or "",
                      rounds=outcome.result.rounds, metrics=patient_metrics(summary),
                      optimization_iterations=summary.get("optimization_iterations", 0))
    except Exception as exc:  # a failed patient is recorded; the study goes on
        log.warning("%s failed: %s", task.name, exc)
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}", rounds=0, metrics={})
    result["wall_s"] = round(time.perf_counter() - started, 3)
    return result


def serve_this_study_only() -> None:
    """Set up a worker process of a local pool: Ctrl+C is left to the study, which ends its workers, and a
    worker whose study process is gone (killed) exits at once instead of finishing its patient."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="watch-study", daemon=True).start()
