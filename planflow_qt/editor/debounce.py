"""Calls made a while after the last request: the timers behind live validation and autosave."""

from __future__ import annotations

from collections.abc import Callable

from Qt import QtCore


def single_shot(parent: QtCore.QObject, interval_ms: int, slot: Callable[[], object]) -> QtCore.QTimer:
    """A stopped single-shot timer calling `slot` `interval_ms` after it was (re)started."""
    timer = QtCore.QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
