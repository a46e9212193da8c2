"""The flow's nodes and parameters as a physicist reads them: titles, field names with units, values that apply."""

from __future__ import annotations

from html import escape
from typing import Any

from planflow_qt.catalog.describe import node_summary, node_title, wired_rois
from planflow_qt.catalog.fields import FieldInfo, model_fields, value_text
from planflow_qt.catalog.registry import Registry
from planflow_qt.model.document import Flow


def _rows(fields: list[FieldInfo], params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(label, value) pairs of the fields that apply, groups flattened (`A: Margin: Superior (cm)`)."""
    rows = []
    for info in fields:
        if not info.applies(params) or info.name not in params:
            continue
        value = params[info.name]
        label = f"{prefix}{info.label}"
        if info.kind == "group" and isinstance(value, dict):
            rows += _rows(info.children, value, f"{label}: ")
        elif info.kind == "table" and isinstance(value, list):
            rows.append((label, _table(info, value)))
        elif info.kind == "mapping" and isinstance(value, dict):
            rows.append((label, escape(", ".join(f"{k} → {v}" for k, v in value.items())) or "none"))
        else:
            rows.append((label, escape(value_text(info, value))))
    return rows


def _table(info: FieldInfo, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "none"
    columns = [c for c in info.children if any(c.name in row for row in rows)]
    head = "".join(f"<th>{escape(c.label)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(value_text(c, row.get(c.name)))}</td>" for c in columns)
                   + "</tr>" for row in rows)
    return f"<table class='inner'><tr>{head}</tr>{body}</table>"


def parameters_table(flow: Flow, registry: Registry) -> str:
    """One row per node: title, type, summary and its parameters by name and unit."""
    rois = wired_rois(flow, registry)
    lines = []
    for node in flow.nodes:
        node_type = registry.get(node.type)
        fields = model_fields(node_type.spec.params) if node_type else []
        pairs = _rows(fields, node.params)
        params = "".join(f"<tr><td class='label'>{escape(label)}</td><td>{value}</td></tr>" for label, value in pairs)
        flags = [text for text, on in (("switched off", node.disabled),
                                       (f"rounds {node.active_rounds}", node.active_rounds != "all")) if on]
        type_title = node_type.spec.title if node_type else node.type
        lines.append(f"<tr><td><b>{escape(node_title(node, node_type))}</b><br><span class='meta'>"
                     f"{escape(type_title)}{escape(' · ' + ', '.join(flags)) if flags else ''}</span></td>"
                     f"<td>{escape(node_summary(node, node_type, rois.get(node.id)))}</td>"
                     f"<td>{f'<table class=params>{params}</table>' if params else '—'}</td></tr>")
    return ("<table class='flow'><tr><th>node</th><th>summary</th><th>parameters</th></tr>"
            f"{''.join(lines)}</table>")
