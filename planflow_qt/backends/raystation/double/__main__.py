"""Run a flow through the RayStation backend against the test double, as `run_flow` does in RayStation.

    python -m planflow_qt.backends.raystation.double flows/lung_progressive.json --generation 2023B
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planflow_qt.backends.raystation.double import PROFILES, install_double, uninstall_double


def main(argv: list[str] | None = None) -> int:
    """Install the double, run the flow with `planflow_qt.raystation.run_flow`; exit 0 when completed."""
    parser = argparse.ArgumentParser(prog="python -m planflow_qt.backends.raystation.double",
                                     description="Run a flow through the RayStation backend against the double.")
    parser.add_argument("flow", type=Path)
    parser.add_argument("--generation", default="2025", choices=list(PROFILES), help="RayStation API generation")
    parser.add_argument("--case", default="lung", help="simulated case: lung, lung_left, esophagus")
    parser.add_argument("--grid", type=float, default=10.0, metavar="MM", help="simulated dose grid (mm)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="write run.jsonl and summary.json")
    parser.add_argument("--calls", type=Path, default=None, metavar="FILE",
                        help="write the recorded RayStation calls to this file")
    args = parser.parse_args(argv)
    world = install_double(args.generation, case=args.case, grid_mm=args.grid)
    try:
        from planflow_qt.raystation import run_flow

        result = run_flow(args.flow, args.out)
    finally:
        uninstall_double()
    if args.calls is not None:
        args.calls.parent.mkdir(parents=True, exist_ok=True)
        args.calls.write_text(world.recorder.dump() + "\n", encoding="utf-8")
    sys.stdout.write(f"double {args.generation}: {len(world.recorder.calls)} RayStation calls recorded, "
                     f"patient saved {world.saves} time(s)\n")
    return 0 if result.status == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
