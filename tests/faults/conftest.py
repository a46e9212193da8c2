"""Fixtures of the fault tests: the smallest flow that plans (a plan, a prescription on the PTV, one run)."""

from __future__ import annotations

import pytest

from planflow_qt.model.builder import FlowBuilder


@pytest.fixture
def small_flow():
    """A builder of the photon setup (plan, PTV, prescription, isocenter, one arc) -> MinDose (PTV) -> optimize,
    named `name`."""
    def build(name: str = "small") -> FlowBuilder:
        b = FlowBuilder(name)
        b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 6000})
        b.add("opt.run", "run")
        b.chain(b.photon_setup(), "f_ptv", "run")
        b.wire("ptv.roi", "f_ptv.roi")
        return b
    return build
