"""The proton pencil-beam model: distal 80 % at the range, density and range shifter effects, spots."""

import numpy as np
import pytest

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.simulated import SimulatedBackend, dosimetry, pbs, protons
from planflow_qt.backends.simulated.dose_engine import BeamModel, DoseGeometry
from planflow_qt.model.planning import PlanSetup, ProtonBeam, Technique
from planflow_qt.patients.grid import Grid

STEP_MM = 0.02


def peak_depth(dose: np.ndarray, depth: np.ndarray) -> float:
    return float(depth[int(np.argmax(dose))])


@pytest.mark.parametrize("energy", [70.0, 100.0, 150.0, 200.0, 230.0])
def test_distal_80_lies_at_the_range_and_the_peak_before_it(energy):
    layer = protons.Layer(float(protons.range_mm(energy)))
    depth = np.arange(0.0, layer.residual_mm + 40.0, STEP_MM)
    dose = layer.depth_dose(depth)
    assert abs(dosimetry.r80_mm(depth, dose) - layer.residual_mm) < 0.1
    assert layer.residual_mm - 3.0 * layer.straggle_mm < peak_depth(dose, depth) < layer.residual_mm


def test_range_energy_follows_the_pstar_table():
    # NIST PSTAR CSDA range of 150 MeV protons in water: 157.7 mm.
    assert protons.range_mm(150.0) == pytest.approx(157.7, rel=0.002)
    assert protons.energy_mev(protons.range_mm(123.0)) == pytest.approx(123.0)


def test_bragg_curve_shape():
    layer = protons.Layer(150.0)
    depth = np.arange(0.0, 200.0, STEP_MM)
    dose = layer.depth_dose(depth)
    assert dose.max() == pytest.approx(1.0, abs=1e-3)
    assert 0.15 < dose[0] < 0.35  # entrance plateau of a pristine peak
    assert layer.depth_dose(np.array([layer.reach_mm() + 1.0]))[0] == 0.0
    distal_80 = depth[(depth > 140.0) & (dose >= 0.8)].max()
    assert distal_80 == pytest.approx(150.0, abs=0.1)
    assert layer.depth_dose(np.array([150.0 + 3.0 * layer.straggle_mm]))[0] < 0.05  # the distal fall-off


@pytest.mark.parametrize("energy", [120.0, 180.0])
def test_dense_slab_shortens_the_range_by_its_extra_wet(energy):
    layer = protons.Layer(float(protons.range_mm(energy)))
    depth = np.arange(0.0, layer.residual_mm + 40.0, STEP_MM)
    density = np.ones_like(depth)
    slab = (depth >= 30.0) & (depth < 50.0)  # 20 mm of density 2: 20 mm more water-equivalent depth
    density[slab] = 2.0
    wet = np.cumsum(density) * STEP_MM
    shortened = dosimetry.r80_mm(depth, layer.depth_dose(wet))
    assert abs(shortened - (layer.residual_mm - 20.0)) < 0.5


def test_range_shifter_and_air_gap():
    assert protons.shifter_wet_mm("RS40") == 40.0
    assert protons.shifter_wet_mm("") == protons.shifter_wet_mm("(None)") == 0.0
    plain, shifted = protons.Layer(100.0), protons.Layer(100.0, 40.0)
    assert shifted.energy > plain.energy  # the same residual range needs 40 mm more range at the nozzle
    depth = np.array([0.0])
    assert shifted.sigma_mm(depth, 300.0)[0] > shifted.sigma_mm(depth, 50.0)[0]  # a larger air gap widens the spot
    assert shifted.sigma_mm(depth, 300.0)[0] > plain.sigma_mm(depth, 300.0)[0]
    assert plain.sigma_mm(depth, 50.0)[0] == plain.sigma_mm(depth, 300.0)[0]  # no shifter: no gap effect
    mid, end = plain.sigma_mm(np.array([50.0, 100.0]), 50.0)
    assert plain.sigma_mm(depth, 50.0)[0] < mid < end  # multiple scattering grows with depth


def water_box(slab_density: float = 1.0):
    """A 200 mm water box (2.5 mm voxels) with an optional slab at x = 50-70 mm (the beam enters at +x)."""
    grid = Grid.centered((200.0, 60.0, 60.0), 2.5)
    density = np.ones(grid.shape, dtype=np.float32)
    x = grid.mesh_mm[0][:, 0, 0]
    density[(x >= 50.0) & (x < 70.0)] = slab_density
    geo = DoseGeometry(grid, density, np.ones(grid.shape, dtype=bool), BeamModel())
    target = geo.row_index(np.flatnonzero(((np.abs(grid.mesh_mm[0] + 20.0) <= 10.0)
                                           & (np.abs(grid.mesh_mm[1]) <= 5.0)
                                           & (np.abs(grid.mesh_mm[2]) <= 5.0)).ravel()))
    return grid, geo, target


@pytest.mark.parametrize("slab", [1.0, 2.0])
def test_spots_in_a_water_box_peak_at_their_range_from_the_entrance(slab):
    grid, geo, target = water_box(slab)
    beam = ProtonBeam(name="G90", gantry_deg=90.0, proximal_layers=0, distal_layers=0, lateral_margin_cm=0.0)
    spots = pbs.plan_spots(geo, (0.0, 0.0, 0.0), [beam], target)
    influence = pbs.build_influence(geo, spots)
    layer, cells = spots.beams[0].layers[0], spots.beams[0].cells[0]
    central = int(np.flatnonzero((cells == 0).all(axis=1))[0])
    dose = influence.matrix[:, central].toarray().ravel()
    x = geo.positions[np.argmax(dose), 0]
    extra = 20.0 * (slab - 1.0)
    # Gantry 90 enters from the patient's left (+x) surface at x = 100 mm.
    assert abs((100.0 - x) - (layer.residual_mm - extra)) <= grid.voxel_mm


def test_layers_cover_the_target_depth_with_extra_layers():
    _, geo, target = water_box()
    narrow = pbs.plan_spots(geo, (0, 0, 0), [ProtonBeam(name="B", gantry_deg=90, proximal_layers=0,
                                                        distal_layers=0)], target).beams[0]
    wide = pbs.plan_spots(geo, (0, 0, 0), [ProtonBeam(name="B", gantry_deg=90, proximal_layers=2,
                                                      distal_layers=2)], target).beams[0]
    dense = pbs.plan_spots(geo, (0, 0, 0), [ProtonBeam(name="B", gantry_deg=90, proximal_layers=0, distal_layers=0,
                                                       layer_spacing_scale=0.5, spot_spacing_scale=0.5)],
                           target).beams[0]
    ranges = [layer.residual_mm for layer in narrow.layers]
    # Target voxel centers lie 111-129 mm deep; the shallowest peak is less than a peak width beyond.
    assert max(ranges) == pytest.approx(128.75, abs=1.0)
    assert min(ranges) < 111.25 + narrow.layers[-1].peak_width_mm()
    assert len(wide.layers) == len(narrow.layers) + 4
    assert wide.layers[0].residual_mm > narrow.layers[0].residual_mm
    assert len(dense.layers) > len(narrow.layers) and dense.n_spots > 2 * narrow.n_spots


def test_proton_beams_need_an_impt_beam_set():
    b = SimulatedBackend("prostate", grid_mm=10.0)
    b.create_plan(PlanSetup(name="P"))
    b.set_isocenter(roi="CTV")
    with pytest.raises(BackendError, match="not IMPT"):
        b.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90)])
    b.create_plan(PlanSetup(name="Q", technique=Technique.IMPT))
    b.set_isocenter(roi="CTV")
    b.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90)])
    with pytest.raises(BackendError, match="already exists"):
        b.add_proton_beams([ProtonBeam(name="G90", gantry_deg=270)])
    assert b.dose_scenarios() == []


def test_prostate_phantom():
    b = SimulatedBackend("prostate", grid_mm=5.0)
    names = set(b.roi_names())
    assert {"External", "CTV", "PTV", "Rectum", "Bladder", "FemoralHead_L", "FemoralHead_R"} <= names
    assert 20.0 < b.roi_volume_cc("CTV") < 60.0 < b.roi_volume_cc("Bladder")
    assert b.patient.density.max() == pytest.approx(1.5)
    femur = b.roi_mask("FemoralHead_L")
    assert b.patient.grid.positions_mm(np.flatnonzero(femur))[:, 0].mean() > 50.0  # patient's left is +x
