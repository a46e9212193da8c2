"""The simulated backend: analytic phantom patients, a pencil-beam photon engine and L-BFGS-B.

Imports SciPy; `import planflow_qt` does not import this package.
"""

from planflow_qt.backends.simulated.backend import DoseGrid, SimulatedBackend
from planflow_qt.backends.simulated.phantoms import CASES, CaseParams, Phantom, make_case

__all__ = ["CASES", "CaseParams", "DoseGrid", "Phantom", "SimulatedBackend", "make_case"]
