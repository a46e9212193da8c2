"""A clinical-size DICOM patient: load and rasterize time, peak memory, and the lung progressive flow on it.

Synthesizes a 512 x 512 x 200 CT (0.98 mm pixels, 1.5 mm slices) with 30 ROIs into a temporary folder: the
lung_left phantom resampled onto the CT's pixels, plus helper-like ROIs (PTV rings, small spheres of 3-15 mm
radius, lung minus PTV...). Then, each in a fresh process so the figures are its own: reading the folder onto a
3 mm dose grid (time and peak RSS), and `planflow run flows/lung_progressive.json --patient DIR --grid 3`.

    python benchmarks/bench_dicom.py [--keep DIR] [--grid MM] [--no-flow]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PIXELS, SLICES, PIXEL_MM, SLICE_MM = 512, 200, 500.0 / 512, 1.5


def _helpers(patient) -> None:
    """Eighteen more ROIs, as a flow's helpers and a clinic's small structures would be: 30 in all."""
    from planflow_qt.patients import masks

    h = patient.grid.voxel_mm
    ptv = patient.rois["PTV"]
    for mm in (5, 10, 15, 20, 30):
        patient.rois[f"PTV_ring{mm}"] = masks.expand(ptv, mm, h) & ~masks.expand(ptv, mm - 5, h)
    patient.rois["Lung_L-PTV"] = patient.rois["Lung_L"] & ~ptv
    patient.rois["Lungs-PTV"] = patient.rois["Lungs"] & ~ptv
    patient.rois["SpinalCord_PRV"] = masks.expand(patient.rois["SpinalCord"], 5, h)
    patient.rois["Heart_PRV"] = masks.expand(patient.rois["Heart"], 5, h)
    x, y, z = patient.grid.mesh_mm
    rng = np.random.default_rng(7)
    for i in range(9):
        center = rng.uniform((-120, -80, -80), (120, 80, 80))
        radius = rng.uniform(3.0, 15.0)
        sphere = ((x - center[0]) ** 2 + (y - center[1]) ** 2 + (z - center[2]) ** 2) <= radius**2
        patient.rois[f"Node_{i + 1}"] = sphere & patient.rois["External"]
    for name in patient.rois:
        patient.roi_types.setdefault(name, "Organ")


def synthesize(folder: Path) -> None:
    """Write the clinical-size patient into `folder`, slice by slice (the fine masks are never held whole)."""
    from planflow_qt.patients.calibration import Calibration
    from planflow_qt.patients.contours import slice_contours
    from planflow_qt.patients.dicom_files import write_dataset
    from planflow_qt.patients.dicom_phantom import HU_OFFSET, ct_slice, phantom_hu
    from planflow_qt.patients.dicom_rtstruct import contoured_structure_set
    from planflow_qt.patients.phantoms import make_case
    from planflow_qt.patients.uids import derived_uid

    patient = make_case("lung_left", grid_mm=2.5)
    _helpers(patient)
    coarse = patient.grid
    hu_coarse = phantom_hu(patient, Calibration.default())
    x_mm = -250.0 + PIXEL_MM * (np.arange(PIXELS) + 0.5)
    y_mm = x_mm.copy()
    z_mm = SLICE_MM * (np.arange(SLICES) - (SLICES - 1) / 2)
    index = [np.rint((v - o) / coarse.voxel_mm).astype(int) for v, o in zip((x_mm, y_mm), coarse.origin_mm[:2],
                                                                              strict=True)]
    inside = [(i >= 0) & (i < n) for i, n in zip(index, coarse.shape[:2], strict=True)]
    ix, iy = (np.clip(i, 0, n - 1) for i, n in zip(index, coarse.shape[:2], strict=True))
    series = derived_uid("bench", "CT")
    uids = tuple(derived_uid(series, k) for k in range(SLICES))
    identity = dataclasses.replace(patient.identity, patient_name="BENCH^CLINICAL_SIZE", patient_id="BENCH-512",
                                   ct_series_uid=series, ct_instance_uids=uids)
    contours: dict[str, list] = {name: [] for name in patient.rois}
    plane = np.ix_(inside[0], inside[1])
    for k, z in enumerate(z_mm):
        iz = int(np.clip(round((z - coarse.origin_mm[2]) / coarse.voxel_mm), 0, coarse.shape[2] - 1))
        hu = np.full((PIXELS, PIXELS), -1000, dtype=np.int16)
        hu[plane] = hu_coarse[np.ix_(ix[inside[0]], iy[inside[1]], [iz])][:, :, 0]
        pixels = (hu.T.astype(np.int32) + HU_OFFSET).astype(np.uint16)
        write_dataset(ct_slice(identity, uids[k], k, pixels, (x_mm[0], y_mm[0], z), (1, 1),
                               (PIXEL_MM, PIXEL_MM, SLICE_MM)), folder / f"CT_{k + 1:04d}.dcm")
        for name, mask in patient.rois.items():
            fine = np.zeros((PIXELS, PIXELS), dtype=bool)
            fine[plane] = mask[np.ix_(ix[inside[0]], iy[inside[1]], [iz])][:, :, 0]
            contours[name] += [(float(z), c) for c in slice_contours(fine, x_mm, y_mm, supersample=1)]
    rs = contoured_structure_set(identity, contours, patient.roi_types, derived_uid("bench", "RS"),
                                 derived_uid("bench", "RS series"), "bench", patient.pois_mm, list(z_mm))
    write_dataset(rs, folder / "RS.dcm")


def _peak_rss() -> str:
    """The process's peak resident memory (`resource` is POSIX only: n/a elsewhere)."""
    try:
        import resource
    except ImportError:
        return "n/a"
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return f"{kib / 1024.0:.0f} MiB"


def load(folder: Path, grid_mm: float) -> None:
    """Read the patient (in this fresh process) and print the time and the process's peak RSS."""
    from planflow_qt.patients.dicom_import import read_patient

    started = time.perf_counter()
    patient = read_patient(folder, grid_mm=grid_mm)
    seconds = time.perf_counter() - started
    ct = patient.ct
    print(f"load + rasterize: {seconds:.1f} s, peak RSS {_peak_rss()}; {len(patient.rois)} ROIs on a "
          f"{'x'.join(map(str, patient.grid.shape))} dose grid of {grid_mm:g} mm (CT kept for reports: "
          f"{'x'.join(map(str, ct.shape))})")


def main() -> int:
    """Synthesize the patient, then load it and run the flow in fresh processes, printing the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="write the patient here and keep it")
    parser.add_argument("--grid", type=float, default=3.0, help="dose grid (mm)")
    parser.add_argument("--no-flow", action="store_true", help="only synthesize and load")
    parser.add_argument("--load", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load is not None:
        load(args.load, args.grid)
        return 0
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary) / "patient"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        synthesize(folder)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"synthesized {PIXELS}x{PIXELS}x{SLICES} CT ({PIXEL_MM:.2f} mm pixels, {SLICE_MM:g} mm slices) and "
              f"30 ROIs into {folder} ({size:.0f} MiB) in {time.perf_counter() - started:.1f} s")
        subprocess.run([sys.executable, __file__, "--load", str(folder), "--grid", str(args.grid)], check=True)
        if not args.no_flow:
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "planflow_qt.cli", "run", str(ROOT / "flows" /
                                  "lung_progressive.json"), "--patient", str(folder), "--grid", str(args.grid),
                                  "--out", str(Path(temporary) / "run")], capture_output=True, text=True, cwd=ROOT)
            print(f"lung progressive flow at {args.grid:g} mm (read, plan, report): "
                  f"{time.perf_counter() - started:.1f} s, exit {run.returncode}; "
                  f"{run.stdout.strip().splitlines()[0] if run.stdout.strip() else run.stderr.strip()[-300:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
