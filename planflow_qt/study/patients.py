"""DICOM patients of a study, checked before anything runs: each folder readable, each flow's ROIs matched."""

from __future__ import annotations

from pathlib import Path

from planflow_qt.study.spec import StudyError, StudySpec, Variant


def check_patients(spec: StudySpec, flows: list[Variant]) -> None:
    """Read every DICOM patient of `spec` and preflight every flow on it. Raises `PatientError` for a folder
    that cannot be read, and `StudyError` listing, patient by patient, the ROIs a flow needs and does not find
    (and any other preflight problem)."""
    from planflow_qt.backends.simulated import SimulatedBackend
    from planflow_qt.engine.preflight import preflight
    from planflow_qt.engine.validation import analyze
    from planflow_qt.model.files import flow_from_data, parse_json_text
    from planflow_qt.study.worker import dicom_patient

    analyses = [(v.label, analyze(flow_from_data(parse_json_text(v.flow_text, v.label), v.label))) for v in flows]
    lines = []
    for seed in spec.seeds:
        folder = spec.patient_dir(seed)
        patient = dicom_patient(folder, spec.grid_mm)
        backend = SimulatedBackend(patient=patient)
        problems = {problem.format(label) for label, analysis in analyses for problem in preflight(analysis, backend)}
        lines += [f"  {Path(folder).name} ({patient.label}): {problem}" for problem in sorted(problems)]
    if lines:
        raise StudyError("the flows cannot run on every patient (nothing was run):\n" + "\n".join(lines))
