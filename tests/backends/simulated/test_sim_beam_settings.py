"""Beam settings change the simulated dose the way they change RayStation's: fixed jaws close the field,
a protected ROI is spared by the beams entering through it, dual arcs and a finer gantry spacing add control
points, an avoided ROI keeps proton Bragg peaks out of and away from behind it."""

from __future__ import annotations

import numpy as np
import pytest

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.planning import (
    Arc,
    BeamSettings,
    DoseStatistic,
    FunctionSpec,
    FunctionType,
    JawMotion,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    ProtonBeam,
    Technique,
)

ARC = Arc(name="A1", gantry_start_deg=181, gantry_stop_deg=179)


def photon_plan(settings: BeamSettings | None, case: str = "lung") -> SimulatedBackend:
    backend = SimulatedBackend(case=case, grid_mm=10.0)
    backend.create_plan(PlanSetup(name="P", beam_set="BS", machine="Halcyon"))
    backend.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    backend.set_isocenter(roi="PTV")
    backend.add_vmat_arcs([ARC])
    if settings is not None:
        backend.set_beam_settings(settings)
    backend.set_optimization_settings(OptimizationSettings(iterations=30, auto_scale_to_prescription=False))
    backend.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="PTV", dose_cgy=6000, weight=50, tag="ptv"))
    backend.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="PTV", dose_cgy=6600, weight=50, tag="hot"))
    backend.run_optimization()
    return backend


def test_locked_jaws_close_the_field_outside_them():
    free = photon_plan(None)
    locked = photon_plan(BeamSettings(jaw_motion=JawMotion.LOCK_TO_LIMITS, top_jaw_cm=0.5, bottom_jaw_cm=-0.5))
    assert locked.last_influence.matrix.nnz < 0.5 * free.last_influence.matrix.nnz
    grid = free.dose_grid()
    iso_z = free._current().iso_mm[2]
    z = free.patient.grid.positions_mm(np.arange(free.patient.grid.size))[:, 2].reshape(grid.dose.shape)
    far = free.roi_mask("PTV") & (np.abs(z - iso_z) > 15.0)
    assert far.any()
    assert locked.dose_grid().dose[far].mean() < 0.6 * grid.dose[far].mean(), "Y jaws at +-0.5 cm"


def test_a_protected_roi_receives_less_dose():
    free = photon_plan(None, case="lung_left")
    protected = photon_plan(BeamSettings(avoid_roi="Heart", entrance_only=False), case="lung_left")
    heart_free = free.dose_statistic("Heart", DoseStatistic.MEAN)
    assert protected.dose_statistic("Heart", DoseStatistic.MEAN) < 0.8 * heart_free


def test_dual_arcs_and_a_finer_gantry_spacing_add_control_points():
    base = photon_plan(BeamSettings()).last_influence.n_control_points
    assert photon_plan(BeamSettings(dual_arcs=True, max_delivery_time_s=120)).last_influence.n_control_points \
        == 2 * base
    assert photon_plan(BeamSettings(gantry_spacing_deg=2.0, max_delivery_time_s=120)).last_influence \
        .n_control_points == pytest.approx(2 * base, abs=1)


def test_no_proton_peak_in_or_behind_an_avoided_roi():
    def run(settings: BeamSettings | None) -> SimulatedBackend:
        backend = SimulatedBackend(case="prostate", grid_mm=10.0)
        backend.create_plan(PlanSetup(name="P", beam_set="BS", machine="ProteusPLUS", technique=Technique.IMPT))
        backend.set_prescription(Prescription(roi="CTV", dose_cgy=7800))
        backend.set_isocenter(roi="CTV")
        backend.add_proton_beams([ProtonBeam(name="G0", gantry_deg=0), ProtonBeam(name="G90", gantry_deg=90)])
        if settings is not None:
            backend.set_beam_settings(settings)
        backend.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="CTV", dose_cgy=7800, weight=50, tag="c"))
        backend.run_optimization()
        return backend

    free, avoiding = run(None), run(BeamSettings(avoid_roi="Rectum"))
    assert avoiding.last_influence.n_beamlets < free.last_influence.n_beamlets
    assert avoiding.dose_statistic("Rectum", DoseStatistic.MEAN) < free.dose_statistic("Rectum", DoseStatistic.MEAN)
