"""The error a patient folder or file that cannot be used raises: one line naming the file and what to do."""

from __future__ import annotations


class PatientError(ValueError):
    """A patient that cannot be read or written; the message names the file, what is wrong and what to do.

    The `planflow` command reports it as unreadable input (exit code 2), never with a traceback."""

    def __init__(self, message: str):
        super().__init__(str(message).replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
