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
                   outcome.plotted_rois, functions=outcome.recorder.functions)
    if data.snapshots and data.rois:
        data.images["DVH after each round"] = dvh_per_round_png(data.snapshots, data.rois)
    slice_png = _dose_slice(outcome)
    if slice_png:
        data.images["Dose, axial slice through the target"] = slice_png
    bands_png = _scenario_bands(outcome)
    if bands_png:
        data.images["DVH over the robustness scenarios (band: every scenario, line: nominal)"] = bands_png
    return data


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
