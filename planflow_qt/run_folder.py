"""The output folder of a run: made writable and owned by one run at a time.

A second run into a folder in use is refused with the first run's process, host and start time: two runs
writing one folder would leave a log of one, a report of the other. The lock is an operating-system file lock
(the `filelock` package), released when the run ends or its process dies, so a crashed run never leaves the
folder locked.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".planflow-run.lock"
OWNER_NAME = ".planflow-run.owner.json"


class RunFolderError(RuntimeError):
    """The output folder cannot be used: says which folder, why and what to do."""


def _owner_text(out: Path) -> str:
    try:
        owner = json.loads((out / OWNER_NAME).read_text(encoding="utf-8"))
        return (f"process {owner['pid']} on {owner['host']}, started {owner['started']}, "
                f"flow {owner['flow']!r}")
    except (OSError, ValueError, KeyError, TypeError):
        return "a run whose details are not readable"


def _prepare(out: Path) -> None:
    """The folder exists, is a folder and can be written; a clear error otherwise."""
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"output folder {out} is a file: choose a folder with --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"output folder {out} cannot be made ({exc.strerror or exc}): choose another "
                             "--out") from None
    for name in ("run.jsonl", "summary.json", "report.html"):
        if (out / name).is_dir():
            raise RunFolderError(f"{out / name} is a folder, where the run writes a file: remove it or choose "
                                 "another --out")


@contextmanager
def owned_folder(out: str | Path, flow_name: str):
    """Hold `out` for one run: refuses (RunFolderError) when another run holds it or it cannot be written."""
    out = Path(out)
    _prepare(out)
    lock = FileLock(out / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RunFolderError(f"output folder {out} is in use by another run ({_owner_text(out)}): wait for it "
                             "to end or choose another --out") from None
    except OSError as exc:
        raise RunFolderError(f"output folder {out} is not writable ({exc.strerror or exc}): choose another "
                             "--out") from None
    owner = out / OWNER_NAME
    try:
        try:
            owner.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                         "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                         "flow": flow_name}), encoding="utf-8")
        except OSError as exc:
            raise RunFolderError(f"output folder {out} is not writable ({exc.strerror or exc}): choose another "
                                 "--out") from None
        yield out
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
