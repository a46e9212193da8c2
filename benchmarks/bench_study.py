"""Benchmark of cohort studies: the same study with one and with two worker processes.

Run: `python benchmarks/bench_study.py [--cohort 4] [--grid 10] [--jobs 1 2]`. Runs flows/lung_progressive.json
against flows/lung_single_pass.json on the lung case, each time from scratch in a temporary folder, and prints
the wall time per job count, the speed-up over the first, and the load average (other users share the cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from planflow_qt.study.runner import run_study
from planflow_qt.study.spec import StudySpec

FLOWS = Path(__file__).resolve().parents[1] / "flows"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def main(argv: list[str] | None = None) -> int:
    """Time the study once per job count and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=4)
    parser.add_argument("--grid", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    spec = StudySpec(FLOWS / "lung_progressive.json", FLOWS / "lung_single_pass.json", "lung", args.grid,
                     args.cohort, 0)
    sys.stdout.write(f"study: {args.cohort} lung patients x 3 runs (A, B, B iteration-matched), {args.grid:g} mm grid, "
                     f"{os.cpu_count()} CPUs\n")
    first = None
    for jobs in args.jobs:
        with tempfile.TemporaryDirectory() as out:
            load = _load()
            started = time.perf_counter()
            study = run_study(spec, out, jobs=jobs)
            wall = time.perf_counter() - started
        first = first or wall
        sys.stdout.write(f"jobs {jobs}: {wall:6.1f} s wall ({first / wall:.2f}x), {study.computed} runs, "
                         f"{len(study.failed)} failed; load average before {load}, after {_load()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
