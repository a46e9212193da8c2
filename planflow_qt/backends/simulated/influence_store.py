"""Influence matrices kept on disk, so the runs of one patient share one build across processes.

A study runs each patient's flows in separate worker processes (flow A, flow B, B's iteration-matched
control). Their beams are usually the same, so the first run builds the influence matrix and the others
read it: at 5 mm a read takes a tenth of a second against about two seconds of building, at 2.5 mm about
three seconds against ten to twenty.

A matrix is stored under a digest of everything it depends on: the dose engine's own source, the beam
model, the grid, the densities and body of the patient, the target, the isocenter and the control
points. Another patient, another plan or a changed engine therefore never reads a stale matrix. Files
are NumPy `.npz` archives read without pickle, written to a temporary name and renamed, so a crash or a
concurrent writer leaves a whole file or none; a file that cannot be read is removed and built again.
The folder is held under `max_bytes` by removing the files least recently used.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
import zipfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse

import planflow_qt
from planflow_qt.backends.simulated import beams, dose_engine
from planflow_qt.backends.simulated.beams import ControlPoint
from planflow_qt.backends.simulated.dose_engine import DoseGeometry, Influence

log = logging.getLogger(__name__)

FORMAT = b"planflow-influence-1"
DEFAULT_MAX_BYTES = 4 * 1024**3
"""Four GiB: sixteen patients at 2.5 mm, a hundred at 5 mm."""
STALE_SECONDS = 600
"""A temporary file untouched this long was left by a writer that died: it is removed."""


@cache
def _engine_digest() -> bytes:
    """The source of the modules that make a matrix: a changed engine never reads an old matrix. Where the
    source cannot be read (a frozen install), the package's version stands for it."""
    digest = hashlib.sha256(FORMAT)
    for module in (dose_engine, beams):
        try:
            digest.update(Path(module.__file__).read_bytes())
        except (OSError, TypeError):
            digest.update(f"{module.__name__} {planflow_qt.__version__}".encode())
    return digest.digest()


def influence_key(geo: DoseGeometry, iso_mm: Sequence[float], control_points: Sequence[ControlPoint],
                  target: np.ndarray) -> str:
    """The digest naming the matrix of these control points at `iso_mm` covering `target` (a mask)."""
    digest = hashlib.sha256(_engine_digest())
    grid = geo.grid
    digest.update(repr((grid.shape, grid.voxel_mm, grid.origin_mm, geo.model, geo.position)).encode())
    digest.update(np.ascontiguousarray(geo.density, dtype=np.float32).tobytes())
    digest.update(geo.rows.tobytes())
    digest.update(np.packbits(target.astype(bool, copy=False)).tobytes())
    digest.update(repr(tuple(float(x) for x in iso_mm)).encode())
    digest.update(repr(tuple(control_points)).encode())
    return digest.hexdigest()


class InfluenceStore:
    """A folder of influence matrices shared by the processes of one study."""

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES):
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def fetch(self, key: str, build: Callable[[], Influence]) -> Influence:
        """The matrix stored under `key`, or `build()`'s, which is then stored for the next run."""
        influence = self.read(key)
        if influence is None:
            influence = build()
            self.write(key, influence)
        return influence

    def read(self, key: str) -> Influence | None:
        """The stored matrix, or None when there is none or it cannot be read (it is then removed)."""
        path = self._path(key)
        started = time.perf_counter()
        try:
            with np.load(path, allow_pickle=False) as archive:
                shape = tuple(int(n) for n in archive["shape"])
                csc = sparse.csc_matrix((archive["data"], archive["indices"], archive["indptr"]), shape=shape)
                beamlet_arc, arcs = archive["beamlet_arc"], tuple(str(a) for a in archive["arcs"])
                n_control_points = int(archive["n_control_points"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("influence matrix %s cannot be read (%s): building it again", path.name, exc)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept longest
        influence = Influence(matrix=csc.tocsr(), transposed=csc.T, beamlet_arc=beamlet_arc, arcs=arcs,
                              n_control_points=n_control_points, seconds=time.perf_counter() - started)
        log.info("influence matrix read from %s: %d beamlets, %.1f M nonzeros, %.2f s", path.name,
                 influence.n_beamlets, csc.nnz / 1e6, influence.seconds)
        return influence

    def write(self, key: str, influence: Influence) -> None:
        """Store a matrix (its columns, from which both products are rebuilt); a failed write only logs."""
        csc = influence.transposed.T.tocsc()
        path = self._path(key)
        staged = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(staged, "wb") as out:
                np.savez(out, data=csc.data, indices=csc.indices, indptr=csc.indptr,
                         shape=np.asarray(csc.shape), beamlet_arc=influence.beamlet_arc,
                         arcs=np.asarray(influence.arcs, dtype=str),
                         n_control_points=np.asarray(influence.n_control_points))
            os.replace(staged, path)
        except OSError as exc:
            log.warning("influence matrix not stored in %s (%s): the next run builds it again", self.folder, exc)
            with contextlib.suppress(OSError):
                staged.unlink()
            return
        self._trim(keep=path)

    def _trim(self, keep: Path) -> None:
        """Remove the least recently used matrices while the folder holds more than `max_bytes`; `keep` (the
        matrix just written, which the patient's next runs need) stays even when it alone is larger. Temporary
        files of writers that died are removed too."""
        for path in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > STALE_SECONDS:
                    path.unlink()
        files = []
        for path in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):
                info = path.stat()
                files.append((info.st_mtime_ns, info.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
