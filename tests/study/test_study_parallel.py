"""Parallel runs: a process pool and a local Dask cluster give the same table; an abandoned pool stops at once."""

from __future__ import annotations

import math
import multiprocessing
import time

import pytest

from planflow_qt.study.execution import run_in_pool
from planflow_qt.study.runner import run_study
from planflow_qt.study.spec import StudySpec
from planflow_qt.study.worker import PatientTask

distributed = pytest.importorskip("dask.distributed")

TIMING = {"run time (s)"}  # wall-clock: the only metric allowed to differ between runs


def _table(study) -> dict[str, tuple]:
    return {row.metric: (row.n, row.mean_a, row.sd_a, row.mean_b, row.sd_b, row.p_value)
            for row in study.tables["a"] if row.metric not in TIMING}


def _same(x, y) -> bool:
    if x is None or y is None:
        return x is y
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def test_dask_cluster_and_process_pool_agree(small_flows, tmp_path):
    spec = StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=2, seed=7)
    pooled = run_study(spec, tmp_path / "pool", jobs=2)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        clustered = run_study(spec, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert pooled.computed == clustered.computed == 6  # A, B and B iteration-matched, per patient
    assert not pooled.failed and not clustered.failed
    a, b = _table(pooled), _table(clustered)
    assert a.keys() == b.keys() and len(a) > 20
    for metric in a:
        assert all(_same(x, y) for x, y in zip(a[metric], b[metric], strict=True)), metric


def test_abandoned_pool_ends_its_workers_at_once(small_flows):
    text = small_flows[0].read_text(encoding="utf-8")
    tasks = [PatientTask("a", text, "lung", 10.0, seed) for seed in range(6)]
    finished = run_in_pool(tasks, 2)
    first = next(finished)
    started = time.perf_counter()
    finished.close()  # what an interrupt (Ctrl+C) does to the loop over results
    assert first[1]["status"] == "completed" and first[2]
    assert time.perf_counter() - started < 1.0
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()
