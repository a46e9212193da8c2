"""How far the lung flow's plan moves when its influence matrix changes by one unit in the last place.

Any faster arithmetic (another summation order, float32 where float64 was, a factored blur) changes the
dose matrix in its last bits. This script measures what such a change does to the plan: it runs
`flows/lung_progressive.json` once as it is and then `--runs` times with every nonzero of the influence
matrix moved one float32 step up or down at random (a different draw each run), and prints each clinical
goal and DVH metric: the plan as it is, the lowest and highest of the perturbed plans, and the largest
difference from the plan as it is. That spread is the flow's own numerical noise.

    python benchmarks/bench_noise.py [--grid 5] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_simulated import criteria

from planflow_qt.backends.simulated import SimulatedBackend, dose_engine
from planflow_qt.backends.simulated import backend as backend_module
from planflow_qt.backends.simulated.dose_engine import Influence
from planflow_qt.model.files import load_flow
from planflow_qt.runner import execute

FLOW = Path(__file__).resolve().parents[1] / "flows" / "lung_progressive.json"
BUILD = dose_engine.build_influence


def one_ulp(influence: Influence, seed: int) -> Influence:
    """The matrix with each nonzero moved one float32 step up or down (a draw of `seed`)."""
    csc = influence.transposed.T.tocsc(copy=True)
    up = np.random.default_rng(seed).random(csc.nnz) < 0.5
    csc.data = np.where(up, np.nextafter(csc.data, np.float32(np.inf)), np.nextafter(csc.data, np.float32(0)))
    return replace(influence, matrix=csc.tocsr(), transposed=csc.T)


def plan_metrics(grid: float, seed: int | None) -> dict[str, float]:
    """The lung plan's goal values and DVH metrics, with the matrix perturbed by `seed` (None: as it is)."""
    if seed is not None:
        backend_module.build_influence = lambda *args: one_ulp(BUILD(*args), seed)
    dose_engine._CACHE.clear()
    try:
        backend = SimulatedBackend(case="lung", grid_mm=grid)
        execute(load_flow(FLOW), backend, None, case="lung")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            criteria(backend)
    finally:
        backend_module.build_influence = BUILD
    values = {}
    for line in printed.getvalue().splitlines():
        words = line.split()
        if words[0] == "goal":
            values[f"goal {words[1]} {words[2]}#{len(values)}"] = float(words[3])
        elif "mean" in words:
            values[f"{words[1]} mean"], values[f"{words[1]} max"] = float(words[3]), float(words[6])
        else:
            values[" ".join(words[1:4])] = float(words[4])
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reference = plan_metrics(args.grid, None)
    runs = [plan_metrics(args.grid, seed) for seed in range(args.runs)]
    print(f"lung progressive at {args.grid:g} mm: the plan as it is, and {args.runs} plans whose influence matrix "
          "differs by one float32 step per entry")
    print(f"{'metric':<40} {'as it is':>10} {'lowest':>10} {'highest':>10} {'largest change':>16}")
    for name, value in reference.items():
        others = [run[name] for run in runs]
        change = max(abs(x - value) for x in others)
        percent = f" ({100 * change / abs(value):.1f} %)" if value else ""
        print(f"{name.split('#')[0]:<40} {value:10.1f} {min(others):10.1f} {max(others):10.1f} "
              f"{change:9.1f}{percent}")


if __name__ == "__main__":
    main()
