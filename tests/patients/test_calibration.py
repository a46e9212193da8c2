"""The CT calibration: the documented default table, its inverse, and a clinic's CSV table."""

from __future__ import annotations

import numpy as np
import pytest

from planflow_qt.patients.calibration import DEFAULT_POINTS, Calibration, read_calibration
from planflow_qt.patients.errors import PatientError


def test_the_default_table_maps_tissues_to_their_densities():
    table = Calibration.default()
    hu = np.array([p[0] for p in DEFAULT_POINTS])
    assert np.allclose(table.to_density(hu), [p[1] for p in DEFAULT_POINTS], atol=1e-6)
    assert table.to_density(np.array([-3000, 5000])).tolist() == pytest.approx([0.001, 1.82])


def test_the_inverse_gives_back_the_phantom_densities():
    table = Calibration.default()
    density = np.array([0.25, 1.0, 1.3, 1.5], dtype=np.float32)
    assert np.allclose(table.to_density(table.to_hu(density)), density, atol=2e-3)
    assert np.array_equal(table.lookup(np.array([-1000, 0, 1000], dtype=np.int16)), table.to_density([-1000, 0, 1000]))


def test_a_csv_table_with_header_and_comments_is_read(tmp_path):
    path = tmp_path / "ct.csv"
    path.write_text("# scanner A, 120 kV\nHU,RED\n-1000,0.0\n0,1.0\n\n2000,2.0\n", encoding="utf-8")
    table = read_calibration(path)
    assert table.hu == (-1000.0, 0.0, 2000.0) and table.source == str(path)
    assert table.to_density(np.array([1000.0]))[0] == pytest.approx(1.5)


@pytest.mark.parametrize(("text", "message"), [
    ("-1000,0\n", "at least two lines"),
    ("-1000,0\n0,1\n-100,0.9\n", "line 3: HU and density must both increase"),
    ("-1000,0\n0,abc\n", "line 2"),
    ("-1000,0,5\n0,1\n", "line 1: give two numbers"),
])
def test_a_bad_csv_table_is_refused_naming_the_line(tmp_path, text, message):
    path = tmp_path / "ct.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PatientError, match=message) as caught:
        read_calibration(path)
    assert str(path) in str(caught.value)


def test_a_clinic_table_changes_the_densities_read(coarse_dicom, tmp_path):
    from planflow_qt.patients.dicom_import import read_patient

    path = tmp_path / "flat.csv"
    path.write_text("HU,RED\n-1024,1.0\n3071,1.001\n", encoding="utf-8")
    default = read_patient(coarse_dicom, grid_mm=10.0)
    flat = read_patient(coarse_dicom, grid_mm=10.0, calibration=read_calibration(path))
    lungs = default.rois["Lungs"]
    assert default.density[lungs].mean() == pytest.approx(0.25, abs=0.02)
    assert flat.density[lungs].mean() == pytest.approx(1.0, abs=0.002)
    assert (flat.density[~flat.rois["External"]] == 0).all()
