"""Run a flow through the RayStation backend against the test double, as `run_flow` does in RayStation
(without RayStation: dose numbers from the simulated patient).

    python -m planflow_qt.raystation.double_run flows/lung_progressive.json --generation 2025-stubs \
        --calls calls.jsonl

`--calls` writes one JSON line per access of the script to the API, as the stubs name it:
`{"kind": "call"|"set"|"get", "class": ..., "member": ..., "keywords": [...], "node": <flow node id>}`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planflow_qt.backends.raystation.double import PROFILES, install_double, uninstall_double
from planflow_qt.engine.states import RunStatus
from planflow_qt.raystation import run_flow


def main(argv: list[str] | None = None) -> int:
    """Install the double, run the flow with `planflow_qt.raystation.run_flow`; exit 0 when completed."""
    parser = argparse.ArgumentParser(prog="python -m planflow_qt.raystation.double_run",
                                     description="Run a flow through the RayStation backend against the double.")
    parser.add_argument("flow", type=Path)
    parser.add_argument("--generation", default="2025", choices=list(PROFILES), help="RayStation API profile")
    parser.add_argument("--case", default="lung", help="simulated case: lung, lung_left, esophagus, prostate")
    parser.add_argument("--grid", type=float, default=10.0, metavar="MM", help="simulated dose grid (mm)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="write run.jsonl and summary.json")
    parser.add_argument("--calls", type=Path, default=None, metavar="FILE",
                        help="write the script's API accesses to this file as JSON lines")
    args = parser.parse_args(argv)
    world = install_double(args.generation, case=args.case, grid_mm=args.grid)

    def follow_nodes(event: object) -> None:
        if getattr(event, "kind", None) == "node_started":
            world.node = getattr(event, "node_id", None)

    try:
        result = run_flow(args.flow, args.out, observers=[follow_nodes])
    finally:
        uninstall_double()
    if args.calls is not None:
        args.calls.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(access, ensure_ascii=False) for access in world.accesses]
        args.calls.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    sys.stdout.write(f"double {args.generation}: {len(world.accesses)} API accesses recorded, "
                     f"patient saved {world.saves} time(s)\n")
    return 0 if result.status == RunStatus.COMPLETED else 1


if __name__ == "__main__":
    sys.exit(main())
