"""Writing `report.html` for a run, optionally side by side with a baseline run of the same case."""

from __future__ import annotations

import logging
from pathlib import Path

from planflow_qt.model.files import write_text_atomic
from planflow_qt.report.html import RunData, comparison_table, render
from planflow_qt.report.plots import dose_slice_png, dvh_compare_png, dvh_per_round_png

log = logging.getLogger(__name__)

TARGET_WORDS = ("PTV", "CTV", "GTV", "ITV")


def _is_target(roi: str) -> bool:
    return any(word in roi.upper() for word in TARGET_WORDS)


def run_data(outcome) -> RunData:
    """The report's view of a `RunOutcome`, with its plots."""
    result = outcome.result
    data = RunData(outcome.flow, outcome.backend.name, outcome.case, result.status, result.error,
                   result.rounds, result.elapsed_s, outcome.recorder.snapshots, outcome.recorder.events,
                   outcome.plotted_rois)
    if data.snapshots and data.rois:
        data.images["DVH after each round"] = dvh_per_round_png(data.snapshots, data.rois)
    slice_png = _dose_slice(outcome)
    if slice_png:
        data.images["Dose, axial slice through the target"] = slice_png
    return data


def _dose_slice(outcome) -> bytes | None:
    """An axial dose slice, when the backend can give its dose grid (the simulated one can)."""
    axial = getattr(outcome.backend, "axial_slice", None)
    if axial is None or not outcome.recorder.snapshots:
        return None
    try:
        dose, masks, voxel_mm, where = axial(outcome.plotted_rois)
    except Exception as exc:  # a missing image must not lose the report
        log.warning("no dose slice: %s", exc)
        return None
    prescription = getattr(outcome.backend, "prescription_cgy", None)
    return dose_slice_png(dose, masks, voxel_mm, f"Dose at {where}", prescription)


def comparison_rows(rois: list[str]) -> list[tuple[str, str, str, bool]]:
    """Metrics compared between two runs: mean and D0.03cc of every ROI (lower is better for organs)."""
    rows = []
    for roi in rois:
        organ = not _is_target(roi)
        rows.append((f"{roi} Dmean (cGy)", roi, "mean_cgy", organ))
        rows.append((f"{roi} D0.03cc (cGy)", roi, "d0_03cc_cgy", organ))
    return rows


def write_report(outcome, baseline=None, path: str | Path | None = None) -> Path:
    """Write the HTML report of `outcome` (with a comparison when `baseline` is given); returns its path."""
    target = Path(path) if path else Path(outcome.out_dir) / "report.html"
    data = run_data(outcome)
    comparison, images = "", {}
    if baseline is not None:
        base = run_data(baseline)
        comparison = comparison_table(data, base, comparison_rows(data.rois))
        if data.snapshots and base.snapshots:
            images["DVH comparison"] = dvh_compare_png(data.snapshots[-1], base.snapshots[-1], data.rois,
                                                       (data.flow.meta.name, base.flow.meta.name))
    write_text_atomic(target, render(data, comparison, images), keep_backup=False)
    return target
