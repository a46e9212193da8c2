"""How close one optimization round of the lung flow runs to what this machine's memory and arithmetic allow.

Runs `flows/lung_progressive.json` up to its first optimization, then times the parts of one objective
evaluation (the two sparse products, the two scatter baths, the rest), measures the machine (memory read
bandwidth on one and on all threads, single-precision matrix multiply rate on one thread), and prints for
each part the time it would take at those limits. Then it runs that first 80-iteration optimization and
prints its evaluations and time against the floor.

    python benchmarks/bench_floor.py [--grid 2.5] [--case lung]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from planflow_qt.backends.simulated import SimulatedBackend, parallel
from planflow_qt.backends.simulated import backend as backend_module
from planflow_qt.backends.simulated.optimizer import Problem, Result, optimize
from planflow_qt.model.files import load_flow
from planflow_qt.runner import execute

FLOW = Path(__file__).resolve().parents[1] / "flows" / "lung_progressive.json"


class _Stop(BaseException):
    """Ends the flow after its first optimization."""


def median_ms(work, repeat: int = 9) -> float:
    """Median wall time of `work()` in ms; the first calls warm the caches and wake the threads, uncounted."""
    for _ in range(3):
        work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000.0 * sorted(times)[repeat // 2]


def read_bandwidth_gbs(threads: int, megabytes: int = 512) -> float:
    """Bytes summed per second from a float32 array larger than the caches, split over `threads`."""
    data = np.ones(megabytes * 2**20 // 4, dtype=np.float32)
    parts = np.array_split(data, threads)
    with ThreadPoolExecutor(threads) as pool:
        ms = median_ms(lambda: list(pool.map(np.sum, parts)), 5)
    return data.nbytes / ms / 1e6


def sgemm_gflops() -> float:
    """Single-precision matrix multiply rate of one thread (BLAS), on 1500 x 1500 matrices."""
    a = np.random.default_rng(0).random((1500, 1500), dtype=np.float32)
    with threadpool_limits(limits=1):
        ms = median_ms(lambda: a @ a, 5)
    return 2 * 1500**3 / ms / 1e6


def bath_flops(problem: Problem) -> float:
    """Multiply-adds x 2 of one scatter bath: each of its blurs multiplies the grid by a dense matrix per axis."""
    shape = problem.bath.shape
    per_blur = 2 * math.prod(shape) * sum(shape)
    return per_blur * len(problem.bath.kernels)


def evaluation_parts(problem: Problem, start: np.ndarray) -> dict[str, float]:
    """Milliseconds of each part of one objective evaluation at `start`."""
    matrix, transposed = problem.influence.matrix, problem.influence.transposed
    w = start.astype(np.float32)
    g = np.random.default_rng(1).random(matrix.shape[0], dtype=np.float32)
    with threadpool_limits(limits=1):
        parts = {"dose product D w": median_ms(lambda: parallel.matvec(matrix, w)),
                 "gradient product D^T g": median_ms(lambda: parallel.matvec(transposed, g)),
                 "scatter bath (x2)": 2 * median_ms(lambda: problem.bath(g))}
        whole = median_ms(lambda: problem.objective(start), 5)
    parts["objective terms and the rest"] = whole - sum(parts.values())
    parts["whole evaluation"] = whole
    return parts


def report(problem: Problem, start: np.ndarray) -> Result:
    """Print the evaluation's parts against the machine's limits, then run and time the optimization."""
    threads = parallel.threads()
    one, many = read_bandwidth_gbs(1), read_bandwidth_gbs(threads)
    gflops = sgemm_gflops()
    matrix = problem.influence.matrix
    product_bytes = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes + 4 * matrix.shape[0]
    floors = {"dose product D w": product_bytes / many / 1e6,
              "gradient product D^T g": product_bytes / many / 1e6,
              "scatter bath (x2)": 2 * bath_flops(problem) / (gflops * min(threads, len(problem.bath.kernels))) / 1e6}
    print(f"machine: {threads} engine threads; memory read {one:.1f} GB/s on one thread, {many:.1f} GB/s on "
          f"{threads}; float32 matrix multiply {gflops:.0f} GFLOP/s on one thread")
    print(f"matrix: {matrix.shape[0]} dose rows x {matrix.shape[1]} beamlets, {matrix.nnz / 1e6:.1f} M nonzeros, "
          f"{product_bytes / 1e6:.0f} MB read per product; bath {bath_flops(problem) / 1e9:.2f} GFLOP per call")
    parts = evaluation_parts(problem, start)
    floor = sum(floors.values())
    for name, ms in parts.items():
        limit = floors.get(name, floor if name == "whole evaluation" else None)
        bound = f"   floor {limit:6.1f} ms ({ms / limit:.1f}x)" if limit else ""
        print(f"{name:<30} {ms:7.1f} ms{bound}")
    result = optimize(problem, start, 80, 1e-5)
    print(f"one 80-iteration optimization: {result.seconds:.2f} s, {result.evaluations} evaluations "
          f"({1000 * result.seconds / result.evaluations:.0f} ms each); at the floor "
          f"{result.evaluations * floor / 1000:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=float, default=2.5)
    parser.add_argument("--case", default="lung")
    args = parser.parse_args()

    def first_optimization(problem: Problem, start: np.ndarray, iterations: int, tolerance: float) -> Result:
        report(problem, start)
        raise _Stop

    backend_module.optimize = first_optimization
    backend = SimulatedBackend(case=args.case, grid_mm=args.grid)
    with contextlib.suppress(_Stop):
        execute(load_flow(FLOW), backend, None, case=args.case)


if __name__ == "__main__":
    main()
