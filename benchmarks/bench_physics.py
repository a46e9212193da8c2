"""Commissioning table of the simulated engine's physics beside published reference values.

Measured on the engine's own dose (`planflow_qt.backends.simulated.dosimetry`: a 40 x 40 x 40 cm water
tank on the 5 mm grid, SSD 100 cm, gantry 0; profiles sampled every mm by shifting the field; proton
curves of `protons.Layer`). References:

- PDD, 6 MV, SSD 100 cm: British Journal of Radiology Supplement 25 (1996), "Central axis depth dose
  data for use in radiotherapy", 6 MV tables: 10 x 10 cm PDD 66.5 % at 10 cm (66-67 %), 38.5 % at
  20 cm, 30 % at 25 cm; 4 x 4 cm 61.5 % and 20 x 20 cm 69.5 % at 10 cm. Normalized at d_max = 1.5 cm.
- 80-20 % penumbra of a 10 x 10 cm 6 MV field: typical measured values (e.g. the linac vendors'
  representative beam data): 3-4 mm at d_max, 4.5-5.5 mm at 10 cm, 5.5-7 mm at 20 cm; in lung wider.
- Dose outside a 10 x 10 cm 6 MV field at 10 cm depth, % of the central axis, from the geometric edge:
  typical measured profiles, 5-8 % at 1 cm, 3-4 % at 2 cm, 2-3 % at 3 cm, 1.5-2 % at 5 cm (the
  out-of-field literature is reviewed in AAPM TG-158, Kry et al., Med Phys 44 (2017) e391).
- Lung slab (density 0.25, 5-15 cm deep), 2 x 2 cm field: the central-axis dose D over the water dose
  at the same radiological depth, inverse-square corrected (D_water(rad. depth)); below 1 inside the
  slab (lateral electron disequilibrium, build-down) and back to 1 after it (re-build-up), as Monte
  Carlo and collapsed-cone engines show for small fields.
- Proton R80 in water: NIST PSTAR CSDA ranges (Berger et al., NIST Standard Reference Database 124):
  70 MeV 40.8 mm, 100 MeV 77.2 mm, 150 MeV 157.7 mm, 200 MeV 259.6 mm, 230 MeV 329.1 mm; through a
  range shifter the R80 is shorter by its water-equivalent thickness (40 mm).

    python benchmarks/bench_physics.py
"""

from __future__ import annotations

import numpy as np

from planflow_qt.backends.simulated import dosimetry

PDD_DEPTHS_CM = (1.5, 5.0, 10.0, 20.0, 25.0)
PDD_REFERENCE = {  # (field cm, depth cm): BJR Supplement 25, 6 MV, SSD 100 cm
    (4, 1.5): 100.0, (10, 1.5): 100.0, (20, 1.5): 100.0,
    (4, 10.0): 61.5, (10, 10.0): 66.5, (20, 10.0): 69.5,
    (10, 20.0): 38.5, (10, 25.0): 30.0,
}
PENUMBRA_REFERENCE_MM = {1.5: (3.0, 4.0), 10.0: (4.5, 5.5), 20.0: (5.5, 7.0)}
OUT_OF_FIELD_REFERENCE = {1.0: (5.0, 8.0), 2.0: (3.0, 4.0), 3.0: (2.0, 3.0), 5.0: (1.5, 2.0)}
PSTAR_CSDA_MM = {70: 40.8, 100: 77.2, 150: 157.7, 200: 259.6, 230: 329.1}
SHIFTER_MM = 40.0


def row(quantity: str, value: float, reference: float | tuple[float, float] | None, unit: str) -> None:
    """One line of the table: the engine's value, the reference (a value or a band) and the deviation."""
    if reference is None:
        ref, dev = "-", ""
    elif isinstance(reference, tuple):
        lo, hi = reference
        ref = f"{lo:g}-{hi:g}"
        dev = "in band" if lo <= value <= hi else f"{value - (lo if value < lo else hi):+.2f}"
    else:
        ref, dev = f"{reference:g}", f"{value - reference:+.2f}"
    print(f"{quantity:<70}{value:9.2f} {unit:<3}{ref:>12}   {dev}")


def main() -> None:
    water = dosimetry.tank()
    print(f"{'quantity':<70}{'engine':>9}    {'reference':>12}   deviation")
    for field in (4, 10, 20):
        values = dosimetry.pdd(water, 10.0 * field, 10.0 * np.array(PDD_DEPTHS_CM))
        for depth, value in zip(PDD_DEPTHS_CM, values, strict=True):
            row(f"PDD {field}x{field} cm at {depth:g} cm", value, PDD_REFERENCE.get((field, depth)), "%")
    depths = list(PENUMBRA_REFERENCE_MM)
    for depth, (x, dose) in zip(depths, dosimetry.profiles(water, 100.0, [10.0 * d for d in depths]), strict=True):
        row(f"penumbra 80-20 10x10 water at {depth:g} cm", dosimetry.penumbra_80_20(x, dose),
            PENUMBRA_REFERENCE_MM[depth], "mm")
    lung = dosimetry.tank(slab_mm=(50.0, 150.0))
    for label, scaled in (("pencil beam", False), ("collapsed cone", True)):
        x, dose = dosimetry.profile(lung, 100.0, 100.0, density_scaled=scaled)
        row(f"penumbra 80-20 10x10 lung at 10 cm, {label}", dosimetry.penumbra_80_20(x, dose), None, "mm")
    tail = dosimetry.out_of_field(water, 100.0, 100.0, 10.0 * np.array(list(OUT_OF_FIELD_REFERENCE)))
    for (distance, band), value in zip(OUT_OF_FIELD_REFERENCE.items(), tail, strict=True):
        row(f"dose {distance:g} cm outside 10x10 at 10 cm", value, band, "%")
    for label, scaled in (("pencil beam", False), ("collapsed cone", True)):
        depth, ratio = dosimetry.radiological_correction(lung, water, 20.0, scaled)
        for at in (45.0, 100.0, 142.5, 152.5, 167.5):
            row(f"2x2 lung slab, {label}: D / D_water(rad. depth) at {at / 10:g} cm",
                float(np.interp(at, depth, ratio)), None, "")
    for energy, csda in PSTAR_CSDA_MM.items():
        row(f"proton R80 {energy} MeV", dosimetry.proton_r80_mm(energy), csda, "mm")
        row(f"proton R80 {energy} MeV, {SHIFTER_MM:g} mm range shifter",
            dosimetry.proton_r80_mm(energy, SHIFTER_MM), round(csda - SHIFTER_MM, 1), "mm")


if __name__ == "__main__":
    main()
