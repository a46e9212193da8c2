"""The algorithm of the final dose an optimization computes at its end, set with the optimization settings,
is what both backends use: RayStation's beam set setting, the simulated patient's dose after optimizing."""

from __future__ import annotations

import numpy as np
import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.planning import DoseAlgorithm
from planflow_qt.runner import execute


def settings_flow(**settings) -> FlowBuilder:
    b = FlowBuilder("final dose setting")
    b.add("opt.settings", "settings", {"iterations": 10, **settings}, title="Settings")
    b.add("opt.function", "f", {"type": "MinDose", "dose_cgy": 6000})
    b.add("opt.run", "run")
    b.chain(b.photon_setup(), "settings", "f", "run")
    b.wire("ptv.roi", "f.roi")
    return b


@pytest.mark.parametrize(("settings", "expected"), [({"final_dose_algorithm": "MonteCarlo"}, ["PhotonMonteCarlo"]),
                                                    ({}, []),
                                                    ({"final_dose_algorithm": "MonteCarlo",
                                                      "compute_final_dose": False}, [])])
def test_raystation_sets_the_beam_sets_final_dose_algorithm_with_the_settings(settings, expected):
    world = install_double("2025-stubs", case="lung", grid_mm=10.0)
    try:
        outcome = execute(settings_flow(**settings).build(), RayStationBackend())
    finally:
        uninstall_double()
    assert outcome.result.status == "completed", outcome.result.error
    sets = [a for a in world.accesses if a["kind"] == "set" and a["member"] == "DoseAlgorithm"
            and a["class"] == "DoseComputationSettings"]
    assert len(sets) == len(expected)


def test_the_simulated_dose_after_optimizing_is_the_named_final_dose():
    named = SimulatedBackend(case="lung", grid_mm=10.0)
    assert execute(settings_flow(final_dose_algorithm="CollapsedCone").build(), named).result.status == "completed"
    after_optimizing = named.dose_grid().dose.copy()
    named.compute_final_dose(DoseAlgorithm.COLLAPSED_CONE)
    np.testing.assert_allclose(named.dose_grid().dose, after_optimizing, rtol=1e-9)
    plain = SimulatedBackend(case="lung", grid_mm=10.0)
    assert execute(settings_flow().build(), plain).result.status == "completed"
    assert not np.allclose(plain.dose_grid().dose, after_optimizing, rtol=1e-3), "unnamed: the optimization dose"
