"""Proton ranges against NIST PSTAR (CSDA ranges in water, Berger et al., NIST SRD 124): the R80 of a
pristine peak lies at the CSDA range within 1 mm, and a range shifter shortens it by its WET."""

import pytest

from planflow_qt.backends.simulated import dosimetry

PSTAR_CSDA_MM = {70.0: 40.8, 100.0: 77.2, 150.0: 157.7, 200.0: 259.6, 230.0: 329.1}


@pytest.mark.parametrize(("energy", "csda"), PSTAR_CSDA_MM.items())
def test_r80_lies_at_the_pstar_csda_range(energy, csda):
    assert dosimetry.proton_r80_mm(energy) == pytest.approx(csda, abs=1.0)


@pytest.mark.parametrize("energy", [100.0, 150.0, 200.0, 230.0])
def test_a_40_mm_range_shifter_shortens_r80_by_its_wet(energy):
    shift = dosimetry.proton_r80_mm(energy) - dosimetry.proton_r80_mm(energy, 40.0)
    assert shift == pytest.approx(40.0, abs=1.0)
