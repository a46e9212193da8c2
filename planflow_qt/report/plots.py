"""Plots of a run as PNG bytes (matplotlib, Agg backend): DVHs per round, comparisons, dose slices."""

from __future__ import annotations

import io
from collections.abc import Sequence

from planflow_qt.report.snapshots import Snapshot

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
          "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def roi_colors(rois: Sequence[str]) -> dict[str, str]:
    """A stable colour per ROI name."""
    return {roi: COLORS[i % len(COLORS)] for i, roi in enumerate(rois)}


def draw_dvh(ax, snapshot: Snapshot, rois: Sequence[str], colors: dict[str, str], style: str = "-",
             label_suffix: str = "") -> None:
    """Cumulative DVH curves of `rois` from one snapshot on a matplotlib axis."""
    for roi in rois:
        curve = snapshot.dvh.get(roi)
        if not curve:
            continue
        doses, volumes = zip(*curve, strict=True)
        ax.plot(doses, volumes, style, color=colors.get(roi, "k"), lw=1.4, label=f"{roi}{label_suffix}")
    ax.set_xlabel("Dose (cGy)")
    ax.set_ylabel("Volume (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)


def dvh_per_round_png(snapshots: Sequence[Snapshot], rois: Sequence[str]) -> bytes:
    """One small DVH panel per snapshot (round, then final), same axes, for watching the plan evolve."""
    plt = _pyplot()
    count = max(len(snapshots), 1)
    cols = min(count, 4)
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False, sharex=True,
                             sharey=True)
    colors = roi_colors(rois)
    for ax, snap in zip(axes.flat, snapshots, strict=False):
        draw_dvh(ax, snap, rois, colors)
        ax.set_title(snap.label, fontsize=10)
    for ax in list(axes.flat)[len(snapshots):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), fontsize=8,
                   bbox_to_anchor=(0.5, -0.02 - 0.02 * rows))
    fig.tight_layout()
    return _png(fig)


def dvh_compare_png(flow: Snapshot, baseline: Snapshot, rois: Sequence[str], names: tuple[str, str]) -> bytes:
    """Final DVHs of two runs on one plot: solid for the flow, dashed for the baseline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = roi_colors(rois)
    draw_dvh(ax, flow, rois, colors, "-")
    handles, labels = ax.get_legend_handles_labels()
    draw_dvh(ax, baseline, rois, colors, "--")
    handles += [ax.plot([], [], "-", color="k")[0], ax.plot([], [], "--", color="k")[0]]
    labels += list(names)
    ax.legend(handles, labels, fontsize=8, ncol=2, loc="center left")
    ax.set_title(f"DVH: {names[0]} (solid) vs {names[1]} (dashed)", fontsize=11)
    return _png(fig)


def dose_slice_png(dose, masks: dict[str, object], voxel_mm: Sequence[float], title: str,
                   prescription_cgy: float | None = None) -> bytes:
    """An axial dose colour wash with ROI outlines. `dose` and masks are 2D arrays (rows = y, cols = x)."""
    import numpy as np

    plt = _pyplot()
    dose = np.asarray(dose, dtype=float)
    height, width = dose.shape
    extent = (0, width * voxel_mm[0], height * voxel_mm[1], 0)
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    top = prescription_cgy * 1.1 if prescription_cgy else max(float(dose.max()), 1.0)
    shown = np.ma.masked_less(dose, 0.05 * top)
    image = ax.imshow(shown, cmap="jet", vmin=0, vmax=top, extent=extent, interpolation="bilinear", alpha=0.85)
    colors = roi_colors(list(masks))
    xs = (np.arange(width) + 0.5) * voxel_mm[0]
    ys = (np.arange(height) + 0.5) * voxel_mm[1]
    for roi, mask in masks.items():
        mask = np.asarray(mask, dtype=float)
        if mask.any():
            ax.contour(xs, ys, mask, levels=[0.5], colors=[colors[roi]], linewidths=1.2)
            ax.plot([], [], color=colors[roi], label=roi)
    ax.set_facecolor("black")
    ax.set_title(title)
    ax.set_xlabel("patient right  <-  x (mm)  ->  patient left")
    ax.set_ylabel("anterior  <-  y (mm)  ->  posterior")
    fig.colorbar(image, ax=ax, label="Dose (cGy)", shrink=0.85)
    ax.legend(fontsize=7, loc="upper right", framealpha=0.6)
    return _png(fig)


def dose_on_ct_png(views: Sequence[dict], masks_label: str, title: str, prescription_cgy: float | None,
                   background: str = "HU") -> bytes:
    """Dose colour washes over CT planes, one panel per view. Each view holds `name`, the CT plane `ct` with its
    `ct_extent`, the dose plane `dose` and ROI outline planes `masks` with their `extent` (left, right, bottom,
    top in mm, arrays with rows along the vertical axis), the axis labels `xlabel` / `ylabel` and `flip_y`
    (anterior at the top of axial planes). `background` is `HU` (a CT) or `density`."""
    import numpy as np

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(views), figsize=(5.0 * len(views), 4.4), squeeze=False, layout="constrained")
    top = prescription_cgy * 1.1 if prescription_cgy else max(max(float(v["dose"].max()) for v in views), 1.0)
    window = (-1000, 1000) if background == "HU" else (0.0, 1.6)
    image = None
    for ax, view in zip(axes[0], views, strict=True):
        ax.imshow(view["ct"], cmap="gray", vmin=window[0], vmax=window[1], extent=view["ct_extent"],
                  origin="lower", interpolation="bilinear")
        shown = np.ma.masked_less(view["dose"], 0.1 * top)
        image = ax.imshow(shown, cmap="jet", vmin=0, vmax=top, extent=view["extent"], origin="lower",
                          interpolation="bilinear", alpha=0.45)
        colors = roi_colors(list(view["masks"]))
        left, right, bottom, upper = view["extent"]
        rows, cols = view["dose"].shape
        xs = np.linspace(left, right, cols + 1)[:-1] + (right - left) / cols / 2
        ys = np.linspace(bottom, upper, rows + 1)[:-1] + (upper - bottom) / rows / 2
        for roi, mask in view["masks"].items():
            if mask.any():
                ax.contour(xs, ys, mask.astype(float), levels=[0.5], colors=[colors[roi]], linewidths=1.1)
                ax.plot([], [], color=colors[roi], label=roi)
        if view.get("flip_y"):
            ax.invert_yaxis()
        ax.set_title(view["name"], fontsize=10)
        ax.set_xlabel(view["xlabel"], fontsize=8)
        ax.set_ylabel(view["ylabel"], fontsize=8)
    axes[0][0].legend(fontsize=7, loc="lower left", framealpha=0.6, title=masks_label, title_fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.colorbar(image, ax=list(axes[0]), label="Dose (cGy)", shrink=0.8, fraction=0.02, pad=0.01)
    return _png(fig)


def dvh_bands_png(nominal: dict[str, list[tuple[float, float]]],
                  scenarios: dict[str, list[list[tuple[float, float]]]], rois: Sequence[str], title: str) -> bytes:
    """Nominal DVH curves with the band every scenario's DVH lies in (lowest to highest volume per dose)."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = roi_colors(rois)
    for roi in rois:
        curves = scenarios.get(roi)
        if not curves or not nominal.get(roi):
            continue
        top = max(max(d for d, _ in c) for c in curves)
        doses = np.linspace(0.0, top, 400)
        volumes = np.array([np.interp(doses, *zip(*c, strict=True), right=0.0) for c in curves])
        ax.fill_between(doses, volumes.min(axis=0), volumes.max(axis=0), color=colors[roi], alpha=0.25, lw=0)
        ax.plot(*zip(*nominal[roi], strict=True), color=colors[roi], lw=1.4, label=roi)
    ax.set_xlabel("Dose (cGy)")
    ax.set_ylabel("Volume (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title, fontsize=11)
    return _png(fig)
