"""The simulated backend: phantom or DICOM patients, a pencil-beam photon engine and L-BFGS-B.

Imports SciPy; `import planflow_qt` does not import this package.
"""

from planflow_qt.backends.simulated.backend import DoseGrid, SimulatedBackend
from planflow_qt.patients.patient import Patient
from planflow_qt.patients.phantoms import CASES, CaseParams, make_case

__all__ = ["CASES", "CaseParams", "DoseGrid", "Patient", "SimulatedBackend", "make_case"]
