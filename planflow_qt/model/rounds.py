"""Round sets: which rounds of a loop a node or condition is active in.

Written as `all`, `3`, `2-4`, `>=3`, `>3`, `<=2`, `<3`, or a comma list of those (`1,3,5-7`). Parsed,
never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^\s*(?:(?P<op>>=|<=|>|<|=)?\s*(?P<n>\d{1,4})|(?P<a>\d{1,4})\s*-\s*(?P<b>\d{1,4}))\s*$")


@dataclass(frozen=True)
class RoundSet:
    """A parsed set of rounds (1-based)."""

    text: str
    ranges: tuple[tuple[int, int | None], ...]  # inclusive (low, high); high None = no upper bound

    def __contains__(self, round_number: int) -> bool:
        return any(low <= round_number and (high is None or round_number <= high) for low, high in self.ranges)

    @property
    def is_all(self) -> bool:
        return self.ranges == ((1, None),)


def parse_rounds(text: str) -> RoundSet:
    """Parse a round set; ValueError says what is wrong and what is accepted."""
    cleaned = (text or "").strip().lower()
    if cleaned in ("", "all"):
        return RoundSet("all", ((1, None),))
    ranges: list[tuple[int, int | None]] = []
    for part in cleaned.split(","):
        match = _PART.match(part)
        if not match:
            raise ValueError(f"round set {text!r}: cannot read {part.strip()!r}; write e.g. 'all', '3', "
                             "'2-4', '>=3' or '1,3,5'")
        if match.group("a"):
            low, high = int(match.group("a")), int(match.group("b"))
            if low > high:
                raise ValueError(f"round set {text!r}: range {low}-{high} runs backwards")
            ranges.append((low, high))
            continue
        n, op = int(match.group("n")), match.group("op") or "="
        bounds = {"=": (n, n), ">=": (n, None), ">": (n + 1, None), "<=": (1, n), "<": (1, n - 1)}[op]
        if bounds[1] is not None and bounds[1] < max(bounds[0], 1):
            raise ValueError(f"round set {text!r}: {part.strip()!r} contains no round (rounds start at 1)")
        ranges.append((max(bounds[0], 1), bounds[1]))
    return RoundSet(cleaned, tuple(ranges))
