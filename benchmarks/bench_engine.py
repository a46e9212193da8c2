"""Benchmark of the headless core: validation and scheduling of a 2,000-node flow, and what importing loads.

Run: `python benchmarks/bench_engine.py [--nodes 2000] [--repeat 7] [--profile]`. Prints the median time of
`analyze` (validation) and `schedule` in ms, and the Qt / SciPy modules that `import planflow_qt` (and the
headless engine with its node catalog) pulled in: both lists should be empty. Goal: validate + schedule
under 200 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from planflow_qt.catalog.registry import default_registry
from planflow_qt.engine.schedule import schedule
from planflow_qt.engine.validation import analyze
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.document import Flow

GOAL_MS = 200.0
HEAVY = ("PySide6", "NodeGraphQt", "shiboken", "scipy")


def big_flow(total: int = 2000) -> Flow:
    """A valid flow of exactly `total` nodes: setup chain, many ROIs and functions, a loop with conditions."""
    b = FlowBuilder("benchmark")
    tail = b.photon_setup("Bench")
    b.add("plan.clinical_goals", "goals", {"template": "Lung SBRT"})
    b.add("opt.settings", "settings")
    b.chain(tail, "goals", "settings")
    fixed = 7 + 3 + 3 + 1          # setup, loop begin / run / end, normalize / final / save, opt.reset
    per_group = 7                  # match, margin, 2 functions, condition, adjustment, logic.or / ring
    groups = (total - fixed) // per_group
    rest = total - fixed - groups * per_group
    last_plan = "settings"
    rois: list[str] = []
    for i in range(groups):
        b.add("roi.match", f"m{i}", {"name": f"OAR_{i}", "aliases": [f"oar {i}"], "required": False})
        b.add("roi.margin", f"prv{i}", {"name": f"OAR_{i}_prv", "margin": {"superior_cm": 0.3, "inferior_cm": 0.3}})
        b.wire(f"m{i}.roi", f"prv{i}.roi")
        for j, (roi, kind) in enumerate(((f"m{i}", "MaxDose"), (f"prv{i}", "MaxEud"))):
            fn = f"f{i}_{j}"
            b.add("opt.function", fn, {"type": kind, "dose_cgy": 2000 + i, "eud_a": 2})
            b.wire(last_plan, fn)
            b.wire(f"{roi}.roi", f"{fn}.roi")
            last_plan = fn
        rois.append(f"m{i}")
    b.add("loop.begin", "lb", {"max_rounds": 10})
    b.add("opt.run", "run")
    b.add("opt.reset", "reset", active_rounds=">=5")
    b.chain(last_plan, "lb", "reset", "run")
    last_plan = "run"
    for i, roi in enumerate(rois):
        cond, adj = f"c{i}", f"adj{i}"
        b.add("cond.dvh", cond, {"metric": "volume_at_dose", "dose_cgy": 2000, "comparison": ">", "threshold": 30})
        b.wire("run", cond)
        b.wire(f"{roi}.roi", f"{cond}.roi")
        b.add("opt.adjust", adj, {"selector": {"rois": [f"OAR_{i}"]}, "field": "weight", "amount": 1.2,
                                  "maximum": 1000})
        b.wire(last_plan, adj)
        last_plan = adj
        if i % 2:
            b.add("logic.or", f"or{i}")
            b.wire(f"c{i - 1}.result", f"or{i}.inputs")
            b.wire(f"{cond}.result", f"or{i}.inputs")
            b.wire(f"or{i}.result", f"{adj}.when")
        else:
            b.wire(f"{cond}.result", f"{adj}.when")
            b.add("roi.ring", f"ring{i}", {"name": f"OAR_{i}_ring", "outward_cm": 1})
            b.wire(f"{roi}.roi", f"ring{i}.roi")
    b.add("loop.end", "le", {"stop_when_idle": True})
    b.add("dose.normalize", "norm")
    b.add("dose.final", "final")
    b.add("flow.save", "save")
    b.chain(last_plan, "le", "norm", "final", "save")
    for i in range(rest):
        b.add("roi.match", f"extra{i}", {"name": f"Extra_{i}", "required": False})
    return b.build()


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def heavy_imports(code: str) -> list[str]:
    """Top-level Qt / SciPy packages imported by running `code` in a fresh interpreter (-X importtime)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          check=True)
    found = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            top = module.split(".")[0]
            if top.startswith(HEAVY):
                found.add(top)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile one validate + schedule")
    args = parser.parse_args(argv)

    default_registry()
    flow = big_flow(args.nodes)
    analysis = analyze(flow)
    if not analysis.ok:
        for problem in analysis.problems[:10]:
            print(problem.format("benchmark"))
        return 1
    analyze_ms = median_ms(lambda: analyze(flow), args.repeat)
    schedule_ms = median_ms(lambda: schedule(analysis.graph, analysis.loops), args.repeat)
    total = analyze_ms + schedule_ms
    [zone] = analysis.loops
    print(f"nodes: {len(flow.nodes)}  wires: {len(flow.edges)}  loop body: {len(zone.body)} nodes")
    print(f"validate (analyze): {analyze_ms:8.1f} ms  (median of {args.repeat})")
    print(f"schedule:           {schedule_ms:8.1f} ms")
    print(f"validate + schedule: {total:7.1f} ms  (goal < {GOAL_MS:.0f} ms: {'met' if total < GOAL_MS else 'MISSED'})")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        schedule(analyze(flow).graph, analysis.loops)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)

    print(f"Qt / SciPy modules imported by 'import planflow_qt': {heavy_imports('import planflow_qt')}")
    core = ("import planflow_qt.engine.interpreter, planflow_qt.engine.recording, planflow_qt.model.files;"
            "from planflow_qt.catalog.registry import default_registry; default_registry()")
    print(f"Qt / SciPy modules imported by the engine and node catalog: {heavy_imports(core)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
