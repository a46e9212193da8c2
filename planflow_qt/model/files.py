"""Reading and writing flow files: size and depth limits, migrations, atomic saves with a `.bak`."""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planflow_qt.model.document import Flow, now_iso
from planflow_qt.model.errors import FileSaveError, FlowDocumentError, FlowFileError
from planflow_qt.model.migrations import migrate

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a flow may hold")


def _finite_float(text: str) -> float:
    """A JSON number as a float; one too large for a float (1e400) would silently become infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number for a flow")
    return value


def _check_structure(value: Any, limit: int) -> str | None:
    """What is wrong with parsed JSON: nesting deeper than `limit`, or text that is not valid Unicode
    (a lone surrogate escape such as \\ud800 loads but could never be saved back)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return f"nested deeper than {limit} levels: not a flow file"
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return f"text {item[:40]!r} holds an invalid character (a lone surrogate): fix or remove it"
        elif isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


def parse_json_text(text: str, source: str | Path = "<text>") -> Any:
    """Strict JSON: no duplicate keys, no NaN or infinity, bounded nesting."""
    if len(text) > MAX_FILE_BYTES:
        raise FlowFileError(source, f"file larger than {MAX_FILE_BYTES // 2**20} MB: not a flow file")
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except RecursionError:
        raise FlowFileError(source, f"nested deeper than {MAX_DEPTH} levels: not a flow file") from None
    except json.JSONDecodeError as exc:
        raise FlowFileError(source, f"line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise FlowFileError(source, f"not a valid flow file: {exc}") from None
    problem = _check_structure(data, MAX_DEPTH)
    if problem:
        raise FlowFileError(source, problem)
    return data


def read_json(path: str | Path) -> Any:
    """Read a JSON file with the limits of `parse_json_text`; reads at most the size limit, so a device or a
    pipe (whose size reads as 0) cannot exhaust memory."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise FlowFileError(path, f"file larger than {MAX_FILE_BYTES // 2**20} MB: not a flow file")
        text = data.decode("utf-8-sig")  # a byte order mark (Windows editors) is not part of the JSON
    except FlowFileError:
        raise
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise FlowFileError(path, f"not UTF-8 text (byte {start}): save the file as UTF-8") from None
    except OSError as exc:
        raise FlowFileError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_json_text(text, path)


def _problem(loc: tuple[Any, ...], message: str, data: Any) -> tuple[str | None, str | None, str, str]:
    """(node id, node type, field, message) of a document error: `nodes[3].params` names node n-ptv."""
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        nodes = data.get("nodes") if isinstance(data, dict) else None
        node = nodes[loc[1]] if isinstance(nodes, list) and loc[1] < len(nodes) else None
        ident = node.get("id") if isinstance(node, dict) else None
        node_type = node.get("type") if isinstance(node, dict) else None
        rest = ".".join(str(p) for p in loc[2:]) or "(node)"
        return (ident if isinstance(ident, str) else f"#{loc[1]}", node_type if isinstance(node_type, str) else None,
                rest, message)
    return None, None, ".".join(str(p) for p in loc) or "(document)", message


def flow_from_data(data: Any, source: str | Path = "<data>") -> Flow:
    """Build a Flow from parsed JSON, migrating older schemas; clear errors for anything else
    (`FlowDocumentError`, listing each problem, when the JSON is not a valid flow document)."""
    if not isinstance(data, dict):
        raise FlowFileError(source, "a flow file holds one JSON object with 'schema', 'nodes' and 'edges'")
    data = migrate(data, source)
    try:
        return Flow.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err["loc"], err["msg"], data) for err in exc.errors()[:20]]
        lines = [(f"node {node_id}: " if node_id else "") + f"{field}: {message}"
                 for node_id, _, field, message in problems]
        raise FlowDocumentError(source, "invalid flow document:\n  " + "\n  ".join(lines), problems) from None


def load_flow(path: str | Path) -> Flow:
    """Load a flow file (older schema versions are migrated)."""
    return flow_from_data(read_json(path), path)


def dumps_flow(flow: Flow) -> str:
    """The flow as the text written to disk."""
    return json.dumps(flow.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: str | Path, text: str, keep_backup: bool = True) -> None:
    """Write `text` to `path` atomically: a temporary file in the same folder, flushed, then renamed.

    The previous file, if any, is kept as `<name>.bak`, itself replaced atomically, so a crash at any point
    leaves the old file or the new one and a whole `.bak`, never a truncated file. A link is written
    through to the file it points to; a read-only file is refused. The temporary files have fixed names,
    so one left by a crash is reused by the next save instead of piling up.
    Raises `FileSaveError` saying what to do.
    """
    target = _writable_target(Path(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stray_temporaries(target)
        staged = _stage(target, text.encode("utf-8"), _file_mode(target))
        if keep_backup and target.exists():
            backup = target.with_name(target.name + ".bak")
            os.replace(_stage(backup, target.read_bytes(), _file_mode(target)), backup)
        os.replace(staged, target)
    except FileSaveError:
        raise
    except OSError as exc:
        for name in (f".{target.name}.tmp", f".{target.name}.bak.tmp"):
            with contextlib.suppress(OSError):  # a read-only folder cannot have them anyway
                target.with_name(name).unlink(missing_ok=True)
        raise FileSaveError(path, _save_advice(exc), exc.errno) from None


def _writable_target(path: Path) -> Path:
    """The file a save really writes: a link's target; refuses read-only files and folders."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise FileSaveError(path, _save_advice(exc), exc.errno) from None
    if stat.S_ISDIR(mode):
        raise FileSaveError(path, "is a folder: choose a file name")
    if not mode & stat.S_IWRITE:
        raise FileSaveError(path, "the file is read-only: save under another name, or make it writable first")
    return target


def _stage(final: Path, data: bytes, mode: int) -> Path:
    """`data` written and flushed to disk in the temporary file of `final`; returns that file."""
    staged = final.with_name(f".{final.name}.tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(staged, mode)
    return staged


def _remove_stray_temporaries(target: Path) -> None:
    """Temporary files of earlier versions (`.<name>.XXXXXXXX.tmp`, random names) that a crash left behind."""
    for stray in target.parent.glob(f".{glob.escape(target.name)}.????????.tmp"):
        stray.unlink(missing_ok=True)


def _save_advice(exc: OSError) -> str:
    """What went wrong in a save, in words, with what to do; the previous file is untouched."""
    if exc.errno == errno.ENOSPC:
        return "disk full: free some space and save again (the previous file is unchanged)"
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return (f"{(exc.strerror or 'permission denied').lower()}: save into a folder you may write to "
                "(the previous file is unchanged)")
    if isinstance(exc, (IsADirectoryError, NotADirectoryError)):
        return f"{exc.strerror}: choose another file name"
    return f"cannot save: {exc.strerror or exc} (the previous file is unchanged)"


def _file_mode(path: Path) -> int:
    """The permissions the written file gets: those of the file it replaces, else the user's default
    (a temporary file is private, and a shared flow must stay readable by the planners who use it)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save_flow(flow: Flow, path: str | Path, touch: bool = True) -> None:
    """Save atomically, keeping the previous version as `.bak`; the file's `meta.modified` is now unless told
    not to (the flow itself is not changed)."""
    if touch:
        flow = flow.model_copy(update={"meta": flow.meta.model_copy(update={"modified": now_iso()})})
    write_text_atomic(path, dumps_flow(flow))
