"""Influence matrices shared on disk: the run that reads one plans exactly as the run that built it."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections import OrderedDict

import numpy as np
import pytest
from scipy import sparse

from planflow_qt.backends.simulated import SimulatedBackend, dose_engine
from planflow_qt.backends.simulated import backend as backend_module
from planflow_qt.backends.simulated.beams import ControlPoint
from planflow_qt.backends.simulated.dose_engine import Influence
from planflow_qt.backends.simulated.influence_store import STALE_SECONDS, InfluenceStore, influence_key
from planflow_qt.model.files import load_flow
from planflow_qt.runner import execute
from planflow_qt.study import execution
from planflow_qt.study.runner import INFLUENCE_FOLDER, run_study
from planflow_qt.study.spec import StudySpec


@pytest.fixture
def no_memory_cache(monkeypatch):
    """Each run starts with no matrix in this process's memory, as a study's separate worker processes do."""
    monkeypatch.setattr(dose_engine, "_CACHE", OrderedDict())
    real = execution.run_patient

    def in_a_new_process(task):
        dose_engine._CACHE.clear()
        return real(task)

    monkeypatch.setattr(execution, "run_patient", in_a_new_process)


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """Counts the influence matrices built (not read)."""
    made: list[int] = []
    real = backend_module.build_influence

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(backend_module, "build_influence", counted)
    return made


def _plan(flow_path, store: InfluenceStore | None, seed: int = 3) -> SimulatedBackend:
    dose_engine._CACHE.clear()
    backend = SimulatedBackend(case="lung", grid_mm=10.0, seed=seed, influence_store=store)
    outcome = execute(load_flow(flow_path), backend, None, case="lung")
    assert outcome.result.status == "completed", outcome.result.error
    return backend


def _dose(backend: SimulatedBackend) -> np.ndarray:
    return backend.dose_grid().dose


def test_a_second_run_reads_the_matrix_and_plans_bit_for_bit_the_same(small_flows, tmp_path, no_memory_cache,
                                                                        builds, caplog):
    alone = _dose(_plan(small_flows[1], None))
    store = InfluenceStore(tmp_path / "cache")
    first = _dose(_plan(small_flows[1], store))
    assert len(builds) == 2 and len(list((tmp_path / "cache").glob("*.npz"))) == 1
    with caplog.at_level(logging.INFO, logger="planflow_qt.backends.simulated.influence_store"):
        second = _dose(_plan(small_flows[1], store))
    assert len(builds) == 2, "the second run built its matrix again"
    assert "read from" in caplog.text
    assert np.array_equal(first, alone) and np.array_equal(second, alone)


def test_a_damaged_file_is_built_again_and_replaced(small_flows, tmp_path, no_memory_cache, builds, caplog):
    store = InfluenceStore(tmp_path)
    reference = _dose(_plan(small_flows[1], store))
    (stored,) = tmp_path.glob("*.npz")
    stored.write_bytes(stored.read_bytes()[: stored.stat().st_size // 2])  # a copy cut short
    with caplog.at_level(logging.WARNING):
        again = _dose(_plan(small_flows[1], store))
    assert "cannot be read" in caplog.text and stored.name in caplog.text
    assert len(builds) == 2 and np.array_equal(again, reference)
    assert store.read(stored.stem) is not None  # replaced by a whole file


def test_another_patient_or_beam_has_another_key():
    def key(seed: int, iso_shift: float = 0.0, gantry: float = 180.0) -> str:
        backend = SimulatedBackend(case="lung", grid_mm=10.0, seed=seed)
        geo = backend._geometry()
        target = backend.roi_mask("PTV")
        iso = np.array([0.0, 0.0, 0.0]) + iso_shift
        return influence_key(geo, iso, [ControlPoint("A1", gantry, 0.0, 0.0)], target)

    assert key(1) == key(1)
    assert len({key(1), key(2), key(1, iso_shift=2.5), key(1, gantry=190.0)}) == 4


def _small_influence(seed: int, n: int = 400) -> Influence:
    matrix = sparse.random(n, 50, density=0.1, format="csc", dtype=np.float32, random_state=seed)
    return Influence(matrix=matrix.tocsr(), transposed=matrix.T, beamlet_arc=np.zeros(50, dtype=int), arcs=("A1",),
                     n_control_points=1, seconds=0.0)


def test_the_folder_keeps_the_most_recently_used_matrices_under_its_size(tmp_path):
    one = _small_influence(0)
    store = InfluenceStore(tmp_path, max_bytes=1)
    store.write("first", one)
    assert store.read("first") is not None  # a lone file over the limit is kept until another is written
    size = (tmp_path / "first.npz").stat().st_size
    store.max_bytes = 2 * size + size // 2
    store.write("second", _small_influence(1))
    now = time.time()
    os.utime(tmp_path / "first.npz", (now - 200, now - 200))
    os.utime(tmp_path / "second.npz", (now - 100, now - 100))
    store.read("first")  # used again: "second" is now the oldest
    store.write("third", _small_influence(2))
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["first", "third"]
    read = store.read("first")
    assert (read.matrix != one.matrix).nnz == 0 and read.arcs == ("A1",)


def test_a_folder_that_cannot_be_written_costs_only_the_sharing(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = InfluenceStore(blocker / "cache")
    with caplog.at_level(logging.WARNING):
        influence = store.fetch("key", lambda: _small_influence(0))
    assert influence.n_beamlets == 50 and "not stored" in caplog.text


def test_a_studys_runs_share_one_matrix_per_patient_and_leave_no_cache(small_flows, tmp_path, no_memory_cache,
                                                                        builds):
    spec = StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=2, seed=7)
    study = run_study(spec, tmp_path / "study", jobs=1)
    assert study.computed == 6 and not study.failed  # A, B and B iteration-matched, per patient
    assert len(builds) == 2, "one influence matrix per patient"
    assert not (tmp_path / "study" / INFLUENCE_FOLDER).exists()


def _write_forever(folder: str, key: str) -> None:
    store = InfluenceStore(folder)
    influence = _small_influence(0, n=200_000)
    while True:
        store.write(key, influence)


def test_a_writer_killed_mid_save_leaves_a_whole_file_or_none(tmp_path):
    context = multiprocessing.get_context("spawn")
    writer = context.Process(target=_write_forever, args=(str(tmp_path), "cut"))
    writer.start()
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".cut.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(writer.pid, signal.SIGKILL)  # in the middle of a save
    writer.join()
    store = InfluenceStore(tmp_path)
    assert not (tmp_path / "cut.npz").exists() or store.read("cut").n_beamlets == 50
    (stray,) = tmp_path.glob(".cut.*.tmp")
    old = time.time() - 2 * STALE_SECONDS
    os.utime(stray, (old, old))
    store.write("next", _small_influence(1))
    assert not stray.exists(), "the dead writer's temporary file is left behind"


def test_concurrent_writers_and_a_reader_see_whole_files_only(tmp_path, caplog):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_forever, args=(str(tmp_path), "shared")) for _ in range(2)]
    for writer in writers:
        writer.start()
    store, reads = InfluenceStore(tmp_path), 0
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            influence = store.read("shared")
            if influence is not None:
                assert influence.n_beamlets == 50 and influence.matrix.nnz > 0
                reads += 1
    finally:
        for writer in writers:
            writer.kill()
            writer.join()
    assert reads > 0 and "cannot be read" not in caplog.text
