"""Fixtures of the fault tests: the smallest flow that plans (a plan, a prescription on the PTV, one run)."""

from __future__ import annotations

import pytest

from planflow_qt.model.builder import FlowBuilder


@pytest.fixture
def small_flow():
    """A builder of plan -> prescription (PTV) -> optimize, named `name`."""
    def build(name: str = "small") -> FlowBuilder:
        b = FlowBuilder(name)
        b.add("plan.create", "plan", {"name": "P"})
        b.add("roi.match", "ptv", {"name": "PTV"})
        b.add("plan.prescription", "rx", {"dose_cgy": 6000})
        b.add("opt.run", "run")
        b.chain("plan", "rx", "run")
        b.wire("ptv.roi", "rx.roi")
        return b
    return build
