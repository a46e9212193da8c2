"""ROI matching: find the case's ROI for a flow's ROI name and its aliases."""

from __future__ import annotations


def _squash(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch not in " -_")


def match_roi_name(name: str, aliases: list[str], case_names: list[str]) -> str | None:
    """The case ROI that `name` or an alias names: exact first, then ignoring case and separators."""
    candidates = [name, *aliases]
    for wanted in candidates:
        if wanted in case_names:
            return wanted
    squashed = {_squash(c): c for c in case_names}
    for wanted in candidates:
        if _squash(wanted) in squashed:
            return squashed[_squash(wanted)]
    return None
