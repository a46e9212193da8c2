"""Where the patients run: in this process, in a local process pool, or on a Dask cluster.

Each backend yields `(task, result, keep)` as patients finish; `keep` is False when the worker itself was
lost (a crashed process or cluster worker), so the result is not saved and the patient runs again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from planflow_qt.study.spec import StudyError
from planflow_qt.study.worker import PatientTask, run_patient, serve_this_study_only

log = logging.getLogger(__name__)

Finished = tuple[PatientTask, dict[str, Any], bool]
CONNECT_TIMEOUT_S = 10


def _lost(task: PatientTask, exc: BaseException) -> dict[str, Any]:
    log.error("%s: worker lost: %s", task.name, exc)
    return {"variant": task.variant, "seed": task.seed, "case": task.case, "grid_mm": task.grid_mm,
            "status": "failed", "error": f"worker lost: {type(exc).__name__}: {exc}", "rounds": 0, "metrics": {},
            "wall_s": 0.0}


def run_in_process(tasks: Sequence[PatientTask]) -> Iterator[Finished]:
    """One patient after the other in this process."""
    for task in tasks:
        yield task, run_patient(task), True


def _stop_now(executor: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers, so an interrupted study exits without finishing them."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())  # shutdown forgets them
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def run_in_pool(tasks: Sequence[PatientTask], jobs: int) -> Iterator[Finished]:
    """`jobs` worker processes on this machine (works with the spawn start method, as on Windows)."""
    executor = ProcessPoolExecutor(max_workers=jobs, initializer=serve_this_study_only)
    try:
        futures = {executor.submit(run_patient, task): task for task in tasks}
        yield from _collect(futures, as_completed(futures))
    except BaseException:  # interrupted (Ctrl+C) or abandoned: do not wait for the running patients
        _stop_now(executor)
        raise
    executor.shutdown(wait=True)


def run_on_dask(tasks: Sequence[PatientTask], scheduler: Any) -> Iterator[Finished]:
    """On a Dask cluster: `scheduler` is an address such as `tcp://host:8786` or a cluster object."""
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise StudyError("--scheduler needs Dask: pip install 'planflow-qt[study]'") from exc
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise StudyError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}): start it, check the "
                         "address, or leave --scheduler out to run here") from None
    with client:
        futures = {client.submit(run_patient, task, pure=False): task for task in tasks}
        yield from _collect(futures, dask_completed(futures))


def _collect(futures: dict, completed) -> Iterator[Finished]:
    """Results in completion order; a patient whose worker was lost is reported, not raised."""
    for future in completed:
        task = futures[future]
        try:
            yield task, future.result(), True
        except Exception as exc:
            yield task, _lost(task, exc), False


def run_tasks(tasks: Sequence[PatientTask], jobs: int = 1, scheduler: Any = None) -> Iterator[Finished]:
    """Run `tasks` on Dask when a scheduler is given, else in a pool of `jobs` processes (here when 1)."""
    if scheduler is not None:
        return run_on_dask(tasks, scheduler)
    if jobs > 1 and len(tasks) > 1:
        return run_in_pool(tasks, min(jobs, len(tasks)))
    return run_in_process(tasks)
