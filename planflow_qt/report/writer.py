"""Writing `report.html` for a run, optionally side by side with a baseline run of the same case."""

from __future__ import annotations

import logging
from pathlib import Path

from planflow_qt.model.files import write_text_atomic
from planflow_qt.report.compare import comparison_html, is_target
from planflow_qt.report.html import RunData, render
from planflow_qt.report.plots import dose_slice_png, dvh_bands_png, dvh_compare_png, dvh_per_round_png
from planflow_qt.report.snapshots import DVH_STEP_CGY

log = logging.getLogger(__name__)

def run_data(outcome) -> RunData:
    """The report's view of a `RunOutcome`, with its plots."""
    result = outcome.result
    data = RunData(outcome.flow, outcome.backend.name, outcome.case, result.status, result.error,
                   result.rounds, result.elapsed_s, outcome.recorder.snapshots, outcome.recorder.events,
                   outcome.plotted_rois, functions=outcome.recorder.functions, patient=_patient_label(outcome),
                   patient_notes=list(getattr(getattr(outcome.backend, "patient", None), "notes", [])))
    if data.snapshots and data.rois:
        data.images["DVH after each round"] = dvh_per_round_png(data.snapshots, data.rois)
    slice_png = _dose_slice(outcome)
    if slice_png:
        data.images["Dose, axial slice through the target"] = slice_png
    views_png = _dose_on_ct(outcome)
    if views_png:
        data.images["Dose over the CT: axial, coronal and sagittal planes through the target's center"] = views_png
    bands_png = _scenario_bands(outcome)
    if bands_png:
        data.images["DVH over the robustness scenarios (band: every scenario, line: nominal)"] = bands_png
    return data


def _patient_label(outcome) -> str:
    """`NAME (ID)` of the simulated patient, and the folder it was read from (empty for other backends)."""
    patient = getattr(outcome.backend, "patient", None)
    if patient is None or getattr(patient, "identity", None) is None:
        return ""
    return patient.label + (f", read from {patient.source}" if patient.source else "")


def _plane(volume, origin, spacing, axis: int, index: int):
    """A plane of a volume [x, y, z] across `axis` as rows (vertical) x columns, and its extent (mm)."""
    import numpy as np

    plane = np.take(volume, index, axis=axis).T
    shown = [a for a in range(3) if a != axis]
    (h, v) = shown
    edges = [(origin[a] - spacing[a] / 2, origin[a] + spacing[a] * (volume.shape[a] - 0.5)) for a in shown]
    return plane, (edges[0][0], edges[0][1], edges[1][0], edges[1][1]), (h, v)


def _dose_on_ct(outcome) -> bytes | None:
    """Axial, coronal and sagittal dose washes over the patient's CT (its density for a phantom) through the
    target's center, when the backend exposes its patient, dose grid and ROI masks."""
    backend = outcome.backend
    patient = getattr(backend, "patient", None)
    if patient is None or not hasattr(backend, "dose_grid") or not outcome.recorder.snapshots:
        return None
    try:
        import numpy as np

        from planflow_qt.report.plots import dose_on_ct_png

        grid = backend.dose_grid()
        masks = {roi: backend.roi_mask(roi) for roi in outcome.plotted_rois}
        shown = {roi: m for roi, m in masks.items() if "EXTERNAL" not in roi.upper() and "BODY" not in roi.upper()}
        targets = [roi for roi in masks if is_target(roi)] or list(masks)
        center_index = np.argwhere(masks[targets[0]]).mean(axis=0) if targets else np.array(grid.dose.shape) / 2
        center_mm = np.array(grid.origin_mm) + grid.voxel_mm * center_index
        if patient.ct is not None:
            background, origin, spacing, kind = patient.ct.hu, patient.ct.origin_mm, patient.ct.spacing_mm, "HU"
        else:
            background, origin, spacing, kind = patient.density, grid.origin_mm, (grid.voxel_mm,) * 3, "density"
        labels = ("patient right <- x (mm) -> left", "anterior <- y (mm) -> posterior",
                  "inferior <- z (mm) -> superior")
        views = []
        for axis, name in ((2, "axial"), (1, "coronal"), (0, "sagittal")):
            k_ct = int(np.clip(round((center_mm[axis] - origin[axis]) / spacing[axis]), 0, background.shape[axis] - 1))
            k_dose = int(np.clip(round(center_index[axis]), 0, grid.dose.shape[axis] - 1))
            ct_plane, ct_extent, (h, v) = _plane(background, origin, spacing, axis, k_ct)
            dose_plane, extent, _ = _plane(grid.dose, grid.origin_mm, (grid.voxel_mm,) * 3, axis, k_dose)
            views.append({"name": f"{name}, {'xyz'[axis]} = {center_mm[axis]:.0f} mm", "ct": ct_plane,
                          "ct_extent": ct_extent, "dose": dose_plane, "extent": extent,
                          "masks": {roi: np.take(m, k_dose, axis=axis).T for roi, m in shown.items()},
                          "xlabel": labels[h], "ylabel": labels[v], "flip_y": axis == 2})
        prescription = float(outcome.recorder.final.stats.get(targets[0], {}).get("mean_cgy", 0)) or None
        title = f"Final dose over the {'CT' if kind == 'HU' else 'density'}: {patient.label}"
        return dose_on_ct_png(views, "ROIs", title, prescription, background=kind)
    except Exception as exc:  # a missing image must not lose the report
        log.warning("no dose over the CT: %s", exc)
        return None


def _scenario_bands(outcome) -> bytes | None:
    """Nominal DVHs with the band of the robustness scenarios' DVHs, when the backend offers scenario
    doses (the body is left out: its band says nothing and costs the most)."""
    backend = outcome.backend
    if not outcome.recorder.snapshots or not hasattr(backend, "dose_scenarios"):
        return None
    try:
        names = backend.dose_scenarios()
        if len(names) < 2:
            return None
        rois = [r for r in outcome.plotted_rois if not any(w in r.upper() for w in ("EXTERNAL", "BODY"))]
        nominal = {roi: backend.dvh(roi, DVH_STEP_CGY) for roi in rois}
        curves: dict[str, list] = {roi: [] for roi in rois}
        for name in names:
            with backend.scenario(name):
                for roi in rois:
                    curves[roi].append(backend.dvh(roi, DVH_STEP_CGY))
        return dvh_bands_png(nominal, curves, rois, f"Final dose: nominal and {len(names)} scenarios")
    except Exception as exc:  # a missing image must not lose the report
        log.info("no scenario DVH bands: %s", exc)
        return None


def _dose_slice(outcome) -> bytes | None:
    """An axial dose slice through the target's center, when the backend exposes its dose grid and ROI
    masks (the simulated backend does; RayStation shows its own)."""
    backend = outcome.backend
    if not (hasattr(backend, "dose_grid") and hasattr(backend, "roi_mask")) or not outcome.recorder.snapshots:
        return None
    try:
        import numpy as np

        grid = backend.dose_grid()
        masks = {roi: backend.roi_mask(roi) for roi in outcome.plotted_rois}
        targets = [roi for roi in masks if is_target(roi)] or list(masks)
        z = round(float(np.nonzero(masks[targets[0]])[2].mean())) if targets else grid.dose.shape[2] // 2
        where = f"z = {grid.origin_mm[2] + z * grid.voxel_mm:.0f} mm"
        prescription = float(outcome.recorder.final.stats.get(targets[0], {}).get("mean_cgy", 0)) or None
        return dose_slice_png(grid.dose[:, :, z].T, {roi: m[:, :, z].T for roi, m in masks.items()},
                              (grid.voxel_mm, grid.voxel_mm), f"Final dose, axial slice at {where}", prescription)
    except Exception as exc:  # a missing image must not lose the report
        log.warning("no dose slice: %s", exc)
        return None


def write_report(outcome, baseline=None, path: str | Path | None = None, matched=None) -> Path:
    """Write the HTML report of `outcome`; with `baseline` (and `matched`, the baseline's iteration-matched
    control) a comparison side by side. Returns the report's path."""
    target = Path(path) if path else Path(outcome.out_dir) / "report.html"
    data = run_data(outcome)
    comparison, images = "", {}
    others = [run_data(b) for b in (baseline, matched) if b is not None]
    if others:
        comparison = comparison_html(data.flow.meta.name, data.snapshots, data.rois,
                                     [(b.flow.meta.name, b.snapshots) for b in others])
        if data.snapshots and others[0].snapshots:
            images["DVH comparison"] = dvh_compare_png(data.snapshots[-1], others[0].snapshots[-1], data.rois,
                                                       (data.flow.meta.name, others[0].flow.meta.name))
    write_text_atomic(target, render(data, comparison, images), keep_backup=False)
    return target
