"""Beam geometry: IEC 61217 gantry, collimator and couch angles as vectors in patient coordinates.

Patient coordinates are DICOM's: x to the patient's left, y posterior, z superior. For a head-first supine
patient, gantry 0 irradiates from anterior (the beam travels toward +y) and gantry 90 from the patient's left
(the beam travels toward -x); clockwise arcs increase the gantry angle. Couch rotation turns the patient about
the vertical axis, counter-clockwise seen from above for positive angles. Prone and feet-first patients lie
turned on the couch (`PATIENT_AXES`): gantry 0 enters a prone patient from posterior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planflow_qt.model.planning import Arc, Direction

SAD_MM = 1000.0
"""Source to isocenter distance (mm)."""
PATIENT_AXES = {
    "HFS": ((1, 0, 0), (0, 0, -1), (0, 1, 0)),
    "HFP": ((-1, 0, 0), (0, 0, 1), (0, 1, 0)),
    "FFS": ((-1, 0, 0), (0, 0, -1), (0, -1, 0)),
    "FFP": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),
}
"""Rows: the patient's x (left), y (posterior) and z (superior) axes in the IEC fixed system (X to the left of
a viewer facing the gantry, Y toward the gantry, Z up) at couch 0, per patient position."""


@dataclass(frozen=True)
class ControlPoint:
    """One static beam direction of an arc, with the arc it belongs to."""

    arc: str
    gantry_deg: float
    collimator_deg: float
    couch_deg: float


def arc_span_deg(arc: Arc) -> float:
    """Angle swept by an arc in its direction; a start equal to the stop is a full turn."""
    sign = 1.0 if arc.direction is Direction.CW else -1.0
    span = (sign * (arc.gantry_stop_deg - arc.gantry_start_deg)) % 360.0
    return span or 360.0


def control_points(arc: Arc, spacing_deg: float) -> list[ControlPoint]:
    """One control point per arc segment no wider than `spacing_deg`, a quarter of the way into it.

    The quarter offset (in the direction of travel) makes an arc and its opposite arc over the same range,
    as in dual-arc VMAT, sample interleaved gantry angles instead of the same ones twice.
    """
    span = arc_span_deg(arc)
    n = max(1, math.ceil(span / spacing_deg - 1e-9))
    sign = 1.0 if arc.direction is Direction.CW else -1.0
    return [ControlPoint(arc=arc.name, gantry_deg=(arc.gantry_start_deg + sign * (k + 0.25) * span / n) % 360.0,
                         collimator_deg=arc.collimator_deg, couch_deg=arc.couch_deg)
            for k in range(n)]


def beam_frame(gantry_deg: float, couch_deg: float = 0.0,
               position: str = "HFS") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors (patient coordinates) of the beam direction and of the beam's eye view axes u, v, for a
    patient lying in `position` (HFS, HFP, FFS or FFP).

    `direction` points from the source through the isocenter; `u` is the IEC beam-limiting-device X
    axis (the patient's left at gantry 0, head-first supine), `v` its Y axis (toward the gantry, superior at
    couch 0 for a head-first patient).
    """
    g, c = math.radians(gantry_deg), math.radians(couch_deg)
    # IEC fixed system (X left, Y toward the gantry, Z up) at couch 0.
    source = np.array([math.sin(g), 0.0, math.cos(g)])
    u = np.array([math.cos(g), 0.0, -math.sin(g)])
    v = np.array([0.0, 1.0, 0.0])
    # The couch turns the patient by +c about Z: the beam turns by -c in the patient's frame.
    rot = np.array([[math.cos(c), math.sin(c), 0.0], [-math.sin(c), math.cos(c), 0.0], [0.0, 0.0, 1.0]])

    axes = np.array(PATIENT_AXES[position], dtype=float)

    def to_patient(vec: np.ndarray) -> np.ndarray:
        return axes @ (rot @ vec)

    return -to_patient(source), to_patient(u), to_patient(v)
