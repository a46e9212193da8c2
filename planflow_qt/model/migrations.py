"""Schema versions of the flow file and the migrations between them.

Each migration takes the JSON data of one version and returns data of the next. A file from a newer
version than this program knows is refused: guessing at a newer format could run a different plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planflow_qt.model.document import SCHEMA
from planflow_qt.model.errors import FlowFileError

Migration = Callable[[dict[str, Any]], dict[str, Any]]

CURRENT_VERSION = 1

# version N -> function that turns version-N data into version N + 1 data
MIGRATIONS: dict[int, Migration] = {}

_SCHEMA = re.compile(r"planflow/([0-9]{1,4})")


def schema_version(data: dict[str, Any], source: str | Path) -> int:
    """The version number of the `schema` key."""
    schema = data.get("schema")
    if schema is None:
        raise FlowFileError(source, f"no 'schema' key: a PlanFlow file starts with \"schema\": \"{SCHEMA}\"")
    match = _SCHEMA.fullmatch(schema) if isinstance(schema, str) else None
    if not match:
        raise FlowFileError(source, f"schema {schema!r} is not a PlanFlow schema (expected {SCHEMA!r})")
    return int(match.group(1))


def migrate(data: dict[str, Any], source: str | Path) -> dict[str, Any]:
    """Bring `data` to the current schema version, or refuse a newer one."""
    version = schema_version(data, source)
    if version > CURRENT_VERSION:
        raise FlowFileError(
            source,
            f"written by a newer PlanFlow (schema planflow/{version}; this version reads up to "
            f"planflow/{CURRENT_VERSION}): update PlanFlow to open it")
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise FlowFileError(source, f"schema planflow/{version} is no longer supported")
        data = step(dict(data))
        version += 1
        data["schema"] = f"planflow/{version}"
    return data
