"""The patient a simulated run plans on: analytic phantoms or DICOM CT + RTSTRUCT, and DICOM RT export.

Modules are imported where used (`patients.phantoms`, `patients.dicom_import`...), so importing this package
costs nothing; it imports only the model, NumPy, SciPy, pydicom and contourpy (matplotlib's contour engine),
never the engine, the backends or Qt.
"""
