"""DICOM UIDs derived from names: the same phantom patient always gets the same study and frame of reference."""

from __future__ import annotations

import hashlib
import uuid


def derived_uid(*parts: object) -> str:
    """A UID in the `2.25.<128-bit integer>` form (ISO/IEC 9834-8) derived from `parts`: equal parts, equal UID."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()[:16]
    return f"2.25.{uuid.UUID(bytes=digest).int}"


def new_uid() -> str:
    """A new unique UID in the `2.25.<UUID>` form."""
    return f"2.25.{uuid.uuid4().int}"
