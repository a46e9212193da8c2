"""DICOM patients the tests read: phantoms written as DICOM once per session, copied before being damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planflow_qt.patients.dicom_phantom import write_patient_dicom
from planflow_qt.patients.phantoms import make_case


@pytest.fixture(scope="session")
def lung_left_dicom(tmp_path_factory) -> Path:
    """The lung_left phantom as DICOM with a 2.5 mm CT (144 x 100 pixels, 80 slices)."""
    folder = tmp_path_factory.mktemp("lung_left")
    write_patient_dicom(make_case("lung_left", grid_mm=2.5), folder)
    return folder


@pytest.fixture(scope="session")
def coarse_dicom(tmp_path_factory) -> Path:
    """The lung phantom as DICOM with a 10 mm CT (36 x 25 pixels, 20 slices): quick to copy and damage."""
    folder = tmp_path_factory.mktemp("coarse")
    write_patient_dicom(make_case("lung", grid_mm=10.0), folder)
    return folder


@pytest.fixture
def patient_copy(coarse_dicom, tmp_path) -> Path:
    """A fresh copy of the coarse DICOM patient, to damage."""
    return Path(shutil.copytree(coarse_dicom, tmp_path / "patient"))


