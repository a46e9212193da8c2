"""Backend warnings as run warnings: what a backend logs at WARNING level while a node runs becomes a
`warning` event of that node (e.g. a dose grid replaced, a constraint still violated after scaling)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

BACKEND_LOGGER = "planflow_qt.backends"


class _Forward(logging.Handler):
    """Passes warnings logged by the running thread to `warn`."""

    def __init__(self, warn: Callable[[str], None]):
        super().__init__(logging.WARNING)
        self.warn = warn
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            record.shown_as_run_warning = True
            self.warn(record.getMessage())


class NotShownTwice(logging.Filter):
    """For console handlers: drops backend warnings already shown as run warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "shown_as_run_warning", False)


@contextlib.contextmanager
def backend_warnings(warn: Callable[[str], None]) -> Iterator[None]:
    """Within the context, backend warnings of this thread are passed to `warn`."""
    logger = logging.getLogger(BACKEND_LOGGER)
    handler = _Forward(warn)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
