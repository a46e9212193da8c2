"""Copy and paste of nodes as JSON on the system clipboard, so they paste into any open flow."""

from __future__ import annotations

import atexit
import json

from pydantic import ValidationError
from Qt import QtCore, QtWidgets

from planflow_qt.model.document import Edge, Flow, Node

MIME = "application/x-planflow-nodes"
FORMAT = "planflow-nodes/1"


def fragment_text(flow: Flow, node_ids: list[str]) -> str:
    """The selected nodes and the wires between them, as JSON."""
    ids = set(node_ids)
    nodes = [n.model_dump(mode="json") for n in flow.nodes if n.id in ids]
    edges = [e.model_dump(mode="json") for e in flow.edges if e.src[0] in ids and e.dst[0] in ids]
    return json.dumps({"format": FORMAT, "nodes": nodes, "edges": edges}, ensure_ascii=False)


def parse_fragment(text: str) -> tuple[list[Node], list[Edge]] | None:
    """Nodes and wires from clipboard text; None when the text is not a copied fragment."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        return ([Node.model_validate(n) for n in data.get("nodes", [])],
                [Edge.model_validate(e) for e in data.get("edges", [])])
    except (json.JSONDecodeError, ValidationError, TypeError):
        return None


def copy_to_clipboard(flow: Flow, node_ids: list[str]) -> None:
    """Put the nodes and the wires between them on the system clipboard."""
    text = fragment_text(flow, node_ids)
    mime = QtCore.QMimeData()
    mime.setData(MIME, QtCore.QByteArray(text.encode("utf-8")))
    mime.setText(text)
    QtWidgets.QApplication.clipboard().setMimeData(mime)
    _clear_at_exit()


_release_registered = False


def _clear_at_exit() -> None:
    # Mime data we gave the clipboard must be released before the interpreter tears Qt down, or
    # PySide6 crashes the process on exit (seen with 6.11 offscreen and on X11).
    global _release_registered
    if not _release_registered:
        atexit.register(_release_clipboard)
        _release_registered = True


def _release_clipboard() -> None:
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.clipboard().clear()


def clipboard_fragment() -> tuple[list[Node], list[Edge]] | None:
    mime = QtWidgets.QApplication.clipboard().mimeData()
    if mime is None:
        return None
    if mime.hasFormat(MIME):
        return parse_fragment(bytes(mime.data(MIME).data()).decode("utf-8"))
    return parse_fragment(mime.text()) if mime.hasText() else None
