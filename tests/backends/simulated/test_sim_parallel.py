"""The engine's threads give the same numbers as one thread."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from planflow_qt.backends.simulated import parallel


def _matrix(rows: int, cols: int, nnz: int, seed: int = 0) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    coo = sparse.coo_matrix((rng.random(nnz).astype(np.float32),
                             (rng.integers(0, rows, nnz), rng.integers(0, cols, nnz))), shape=(rows, cols))
    return coo.tocsr()


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_threaded_matvec_is_identical(monkeypatch, threads):
    monkeypatch.setenv("PLANFLOW_THREADS", threads)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_NNZ", 0)
    matrix = _matrix(5000, 300, 60_000)
    rng = np.random.default_rng(1)
    x, g = rng.random(300).astype(np.float32), rng.random(5000).astype(np.float32)
    assert np.array_equal(parallel.matvec(matrix, x), matrix @ x)
    transposed = matrix.T.tocsr()
    assert np.array_equal(parallel.matvec(transposed, g), transposed @ g)


def test_threaded_matvec_handles_empty_blocks(monkeypatch):
    monkeypatch.setenv("PLANFLOW_THREADS", "4")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_NNZ", 0)
    matrix = sparse.csr_matrix(np.diag(np.arange(3, dtype=np.float32)))
    x = np.ones(3, dtype=np.float32)
    assert np.array_equal(parallel.matvec(matrix, x), matrix @ x)


def test_ordered_map_keeps_order(monkeypatch):
    monkeypatch.setenv("PLANFLOW_THREADS", "2")
    assert list(parallel.ordered_map(lambda v: v * v, range(20))) == [v * v for v in range(20)]


def test_nested_use_runs_serially(monkeypatch):
    monkeypatch.setenv("PLANFLOW_THREADS", "2")
    inner = list(parallel.ordered_map(lambda v: list(parallel.ordered_map(lambda u: u + v, range(3))), range(4)))
    assert inner == [[v, v + 1, v + 2] for v in range(4)]
