"""Fixtures of the fault tests: the smallest flow that plans (a plan, a prescription on the PTV, one run)."""

from __future__ import annotations

import pytest

from planflow_qt.model.builder import FlowBuilder


@pytest.fixture
def small_flow():
    """A builder of plan -> isocenter -> one arc -> prescription (PTV) -> MinDose (PTV) -> optimize, named
    `name`."""
    def build(name: str = "small") -> FlowBuilder:
        b = FlowBuilder(name)
        b.add("plan.create", "plan", {"name": "P"})
        b.add("roi.match", "ptv", {"name": "PTV"})
        b.add("plan.isocenter", "iso")
        b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
        b.add("plan.prescription", "rx", {"dose_cgy": 6000})
        b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 6000})
        b.add("opt.run", "run")
        b.chain("plan", "iso", "arcs", "rx", "f_ptv", "run")
        b.wire("ptv.roi", "iso.roi")
        b.wire("ptv.roi", "rx.roi")
        b.wire("ptv.roi", "f_ptv.roi")
        return b
    return build
