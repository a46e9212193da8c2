"""Free names: the first of `ROI_MaxDose_1`, `ROI_MaxDose_2`, ... not yet used."""

from __future__ import annotations

from collections.abc import Collection


def next_free_name(pattern: str, used: Collection[str]) -> str:
    """`pattern` with `{n}` replaced by the smallest n >= 1 that gives a name not in `used`."""
    n = 1
    while pattern.format(n=n) in used:
        n += 1
    return pattern.format(n=n)
