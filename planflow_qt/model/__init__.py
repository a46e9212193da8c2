"""The flow document: models, files, schema versions."""

from planflow_qt.model.document import SCHEMA, Edge, Flow, FlowMeta, Node, Note
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.files import dumps_flow, flow_from_data, load_flow, save_flow, write_text_atomic

__all__ = ["SCHEMA", "Edge", "Flow", "FlowFileError", "FlowMeta", "Node", "Note", "dumps_flow",
           "flow_from_data", "load_flow", "save_flow", "write_text_atomic"]
