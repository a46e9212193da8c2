"""Both cores for the dose engine: a small shared thread pool and a sparse mat-vec by row blocks.

NumPy, SciPy's special functions, ndimage interpolation and the sparse kernels release the GIL while they
work on large arrays, so threads (not processes) share the cores without copying the influence matrix.
`PLANFLOW_THREADS` sets the number of threads (default: the CPUs this process may use, at most 4, and one
in a worker process of a pool, whose siblings already use the cores); 1 turns threading off. BLAS stays
pinned to one thread (see `optimizer`): these threads split the work above it. Every result is the same
as in one thread: the blocks are joined and summed in a fixed order.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from scipy import sparse

try:  # the kernel behind `csr_matrix @ vector`, called on row blocks without copying the matrix
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - a SciPy without it multiplies in one thread
    _csr_matvec = None

T = TypeVar("T")
R = TypeVar("R")

MIN_PARALLEL_NNZ = 500_000
"""Below this many nonzeros a mat-vec is faster in one thread than split."""


def _default_threads() -> int:
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def threads() -> int:
    """How many threads the engine uses."""
    value = os.environ.get("PLANFLOW_THREADS", "")
    return max(1, int(value)) if value.strip().isdigit() else _default_threads()


_PREFIX = "planflow-dose"
_POOL: tuple[int, int, ThreadPoolExecutor] | None = None
"""(process id, size, pool): a forked worker process starts its own pool (threads do not survive a fork)."""


def _one_malloc_arena() -> None:
    """Make glibc's malloc serve every thread from one arena, as it does a single thread.

    By default each thread gets its own arenas, which keep the memory freed in them: building a 2.5 mm
    influence matrix on two threads then peaked about 200 MB higher than on one. NumPy allocates few,
    large blocks, so the shared arena costs no measurable time. Elsewhere (not glibc) nothing is changed.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError, TypeError):
        pass


def _pool() -> ThreadPoolExecutor:
    global _POOL
    n, pid = threads(), os.getpid()
    if _POOL is None or _POOL[:2] != (pid, n):
        if sys.platform.startswith("linux"):
            _one_malloc_arena()
        _POOL = (pid, n, ThreadPoolExecutor(max_workers=n, thread_name_prefix=_PREFIX))
    return _POOL[2]


def _serial() -> bool:
    """One thread, or already on a pool thread (a task waiting for tasks of its own pool could deadlock)."""
    return threads() == 1 or threading.current_thread().name.startswith(_PREFIX)


def ordered_map(function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """`map` over the thread pool (results in order); a plain map with one thread."""
    if _serial():
        return map(function, items)
    return _pool().map(function, items)


def _row_blocks(matrix: sparse.csr_matrix, parts: int) -> np.ndarray:
    """Row boundaries splitting a CSR matrix into `parts` blocks of about equal nonzeros."""
    cached = getattr(matrix, "_planflow_blocks", None)
    if cached is not None and cached.size == parts + 1:
        return cached
    targets = np.linspace(0, matrix.nnz, parts + 1)
    bounds = np.searchsorted(matrix.indptr, targets).astype(np.int64)
    bounds[0], bounds[-1] = 0, matrix.shape[0]
    bounds = np.maximum.accumulate(bounds)
    matrix._planflow_blocks = bounds
    return bounds


def matvec(matrix: sparse.csr_matrix, x: np.ndarray) -> np.ndarray:
    """`matrix @ x` for a CSR matrix, its row blocks in parallel threads; the same sums in the same order
    as SciPy's (the result is identical)."""
    n = threads()
    if (_serial() or _csr_matvec is None or matrix.nnz < MIN_PARALLEL_NNZ or not sparse.isspmatrix_csr(matrix)
            or matrix.dtype != x.dtype or x.ndim != 1):
        return matrix @ x
    x = np.ascontiguousarray(x)
    out = np.zeros(matrix.shape[0], dtype=np.result_type(matrix.dtype, x.dtype))
    bounds = _row_blocks(matrix, n)
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data

    def block(i: int) -> None:
        r0, r1 = int(bounds[i]), int(bounds[i + 1])
        if r1 > r0:
            _csr_matvec(r1 - r0, matrix.shape[1], indptr[r0:r1 + 1], indices, data, x, out[r0:r1])

    list(_pool().map(block, range(n)))
    return out
