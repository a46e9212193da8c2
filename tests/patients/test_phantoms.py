"""Phantom cases: anatomy, names, determinism, seeded patients."""

import numpy as np
import pytest

from planflow_qt.patients import masks
from planflow_qt.patients.phantoms import CASES, CaseParams, make_case

ROIS = {"External", "Lung_L", "Lung_R", "Lungs", "Heart", "Esophagus", "SpinalCanal", "SpinalCord", "GTV",
        "CTV", "PTV"}


@pytest.mark.parametrize("name", [c for c in CASES if c != "prostate"])  # the pelvis: test_sim_proton.py
def test_every_case_has_the_clinics_rois_nested_targets_and_densities(name):
    case = make_case(name, grid_mm=7.5)
    assert set(case.rois) >= ROIS
    r = case.rois
    assert np.array_equal(r["Lungs"], r["Lung_L"] | r["Lung_R"])
    assert not (r["GTV"] & ~r["CTV"]).any() and not (r["CTV"] & ~r["PTV"]).any()
    assert not (r["PTV"] & ~r["External"]).any()
    assert not (r["SpinalCord"] & ~r["SpinalCanal"]).any()
    assert case.roi_types["PTV"] == "Ptv" and case.roi_types["External"] == "External"
    assert set(np.unique(case.density[r["Lungs"]])) == {np.float32(0.25)}
    assert case.density[~r["External"]].max() == 0.0
    assert case.density.max() == pytest.approx(1.5)


def test_body_and_organ_sizes_are_a_thorax():
    case = make_case("lung", grid_mm=5.0)
    h = case.grid.voxel_mm
    x = np.nonzero(case.rois["External"].any(axis=(1, 2)))[0]
    y = np.nonzero(case.rois["External"].any(axis=(0, 2)))[0]
    assert (x.size * h, y.size * h) == (pytest.approx(340, abs=10), pytest.approx(230, abs=10))
    assert 2500 < masks.volume_cc(case.rois["Lungs"], h) < 4500
    assert 400 < masks.volume_cc(case.rois["Heart"], h) < 700
    assert masks.volume_cc(case.rois["PTV"], h) == pytest.approx(4 / 3 * np.pi * 2.5**3, rel=0.1)


def _center_mm(case, roi):
    return case.grid.positions_mm(np.flatnonzero(case.rois[roi])).mean(axis=0)


def test_tumor_sides_and_the_esophageal_target():
    assert _center_mm(make_case("lung"), "GTV")[0] < -30  # patient's right is -x
    left = make_case("lung_left")
    assert _center_mm(left, "GTV")[0] > 30
    gap = masks.distance_outside_mm(left.rois["Heart"], 5.0)[left.rois["PTV"]].min()
    assert gap < 15.0  # the left-lung tumor lies next to the heart
    eso = make_case("esophagus")
    z = np.nonzero(eso.rois["PTV"].any(axis=(0, 1)))[0]
    assert 50 <= z.size * eso.grid.voxel_mm <= 65
    assert (eso.rois["PTV"] & eso.rois["Esophagus"]).any()


def test_cases_are_deterministic_and_seeds_draw_other_patients():
    a, b = make_case("lung", seed=7), make_case("lung", seed=7)
    assert a.params == b.params and np.array_equal(a.rois["PTV"], b.rois["PTV"])
    drawn = {CaseParams.for_case("lung", seed) for seed in range(8)}
    assert len(drawn) == 8 and {p.side for p in drawn} == {"left", "right"}
    for params in drawn:
        assert 10 <= params.tumor_radius_mm <= 25
        case = make_case("lung", grid_mm=10.0, params=params)
        assert not (case.rois["GTV"] & case.rois["Heart"]).any()
    assert make_case("lung", grid_mm=10.0).params == CaseParams()


def test_grid_and_name_are_checked():
    with pytest.raises(ValueError, match="grid_mm"):
        make_case("lung", grid_mm=1.0)
    with pytest.raises(ValueError, match="unknown phantom case"):
        make_case("pancreas")
    assert make_case("lung", grid_mm=2.5).grid.shape == (144, 100, 80)
