"""Speed and memory of the simulated backend on the lung progressive flow and the IMPT robust flow.

Prints the influence-matrix build time, the time of each round, the whole flow and the peak memory
(resident set size of this process); for the IMPT flow also the target's D98 % in the nominal and the
worst robustness scenario. Goals at 5 mm on a 2-core machine: lung flow < 15 s, IMPT robust flow < 60 s,
< 1 GB.

    python benchmarks/bench_simulated.py [--grid 5] [--case lung] [--flow flows/lung_progressive.json]
                                         [--impt-case prostate] [--impt-flow flows/impt_robust.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.model.files import load_flow
from planflow_qt.model.planning import DoseStatistic
from planflow_qt.runner import execute

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process (MB), where the platform reports it."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def bench(flow_path: Path, case: str, grid: float, goal_s: float) -> SimulatedBackend:
    """Run one flow on a fresh phantom and print its timings; returns the backend."""
    rounds: dict[int, float] = {}
    optimizations: list[float] = []
    started: dict[str, float] = {}

    def clock(event: RunEvent) -> None:
        now = time.perf_counter()
        if event.kind is EventKind.ROUND_STARTED:
            started["round"] = now
        elif event.kind is EventKind.ROUND_FINISHED:
            rounds[event.round] = now - started["round"]
        elif event.kind is EventKind.NODE_STARTED and event.node_type == "opt.run":
            started["opt"] = now
        elif event.kind is EventKind.NODE_FINISHED and event.node_type == "opt.run":
            optimizations.append(now - started["opt"])

    flow = load_flow(flow_path)
    t0 = time.perf_counter()
    backend = SimulatedBackend(case=case, grid_mm=grid)
    phantom_s = time.perf_counter() - t0
    outcome = execute(flow, backend, None, case=case, observers=[clock])
    total_s = time.perf_counter() - t0
    shape = backend.patient.grid.shape
    print(f"flow {flow_path.name} on {case} at {grid:g} mm (grid {shape[0]}x{shape[1]}x{shape[2]}): "
          f"status {outcome.result.status}, {outcome.result.rounds} rounds")
    print(f"phantom                {phantom_s:7.2f} s")
    influence = backend.last_influence
    if influence is not None:
        kind = "beams" if any(n.type == "plan.impt_beams" for n in flow.nodes) else "control points"
        print(f"influence matrix       {influence.seconds:7.2f} s  ({influence.n_control_points} {kind}, "
              f"{influence.n_beamlets} beamlets, {influence.matrix.nnz / 1e6:.1f} M nonzeros)")
    for number, seconds in rounds.items():
        print(f"round {number:<2}               {seconds:7.2f} s")
    if optimizations:
        print(f"optimization (median)  {sorted(optimizations)[len(optimizations) // 2]:7.2f} s "
              f"over {len(optimizations)} runs")
    print(f"whole flow             {total_s:7.2f} s   (goal < {goal_s:g} s at 5 mm)")
    return backend


def robust_summary(backend: SimulatedBackend, roi: str = "CTV") -> None:
    """D98 % of the target in the nominal and the worst scenario."""
    values = {}
    for name in backend.dose_scenarios():
        with backend.scenario(name):
            values[name] = backend.dose_at_volume(roi, volume_percent=98.0)
    worst = min(values, key=values.get)
    print(f"{roi} D98 %               nominal {values['nominal']:.0f} cGy, worst {values[worst]:.0f} cGy "
          f"({worst}; {len(values)} scenarios)")


def criteria(backend: SimulatedBackend) -> None:
    """The plan's clinical goals and the DVH metrics a planner reads, to compare before and after a change."""
    for result in backend.evaluate_goals():
        goal = result.goal
        print(f"goal {goal.roi:<14} {goal.type.value:<22} {float(result.value):10.3f}  "
              f"{'met' if result.met else 'not met'}")
    names = backend.roi_names()
    for roi, percent in (("PTV", 98.0), ("PTV", 95.0), ("PTV", 2.0), ("GTV", 50.0)):
        if roi in names:
            print(f"metric {roi} D{percent:g} %        {backend.dose_at_volume(roi, volume_percent=percent):10.1f} cGy")
    for roi in ("Lungs", "Heart", "Esophagus", "SpinalCord"):
        if roi in names:
            mean = backend.dose_statistic(roi, DoseStatistic.MEAN)
            top = backend.dose_statistic(roi, DoseStatistic.MAX)
            print(f"metric {roi:<14} mean {mean:8.1f} cGy, max {top:8.1f} cGy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", type=Path, default=ROOT / "flows" / "lung_progressive.json")
    parser.add_argument("--case", default="lung")
    parser.add_argument("--grid", type=float, default=5.0)
    parser.add_argument("--impt-flow", type=Path, default=ROOT / "flows" / "impt_robust.json")
    parser.add_argument("--impt-case", default="prostate")
    parser.add_argument("--no-impt", action="store_true", help="run the photon flow only")
    args = parser.parse_args()

    criteria(bench(args.flow, args.case, args.grid, 15.0))
    if not args.no_impt:
        print()
        robust_summary(bench(args.impt_flow, args.impt_case, args.grid, 60.0))
    peak = peak_rss_mb()
    print(f"peak memory            {peak:7.0f} MB  (goal < 1024 MB)" if peak else "peak memory: not reported here")


if __name__ == "__main__":
    main()
