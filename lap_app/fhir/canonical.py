"""The bytes the CPS signature covers (docs/fhir-mapping.md, "Canonical serialisation")."""

from __future__ import annotations

import json
from typing import Any


def canonical_bytes(bundle: dict[str, Any]) -> bytes:
    """The Bundle without ``signature``: JSON, sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    unsigned = {key: value for key, value in bundle.items() if key != "signature"}
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")
