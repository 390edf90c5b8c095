"""The bytes the CPS signature covers (docs/fhir-mapping.md, "Canonical serialisation")."""

from __future__ import annotations

import json
from typing import Any

try:  # in the [server] extra: the base checks many signatures; a workstation does without it
    import orjson
except ImportError:
    orjson = None  # type: ignore[assignment]

# orjson writes what ``json.dumps`` writes (sorted keys, compact, UTF-8, same escapes) except
# for a float below 1e-4 or from 1e16 on (``1e-5`` → "0.00001", ``1e16`` → "1e16" where json
# writes "1e-05", "1e+16") and NaN/Infinity (orjson: "null"; json: refused). Such floats send
# the Bundle the exact way, and so does whatever orjson would write but json would not.
_ORJSON_OPTIONS = 0 if orjson is None else (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS)


def canonical_bytes(bundle: dict[str, Any]) -> bytes:
    """The Bundle without ``signature``: JSON, sorted keys, no spaces, UTF-8 (not ASCII-escaped),
    byte for byte ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)``; through orjson (several times faster) when that gives the same bytes."""
    unsigned = {key: value for key, value in bundle.items() if key != "signature"}
    if orjson is not None and not _has_float_written_otherwise(unsigned):
        try:
            return orjson.dumps(unsigned, option=_ORJSON_OPTIONS)
        except TypeError:  # integers beyond 64 bits, non-text keys, lone surrogates, subclasses, dates...
            pass
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _has_float_written_otherwise(value: Any) -> bool:
    """Whether a float that orjson writes differently from json.dumps is anywhere in ``value``."""
    stack = [value]
    while stack:
        node = stack.pop()
        for item in node.values() if node.__class__ is dict else node:
            kind = item.__class__
            if kind is dict or kind is list or kind is tuple:
                stack.append(item)
            elif kind is float and not 1e-4 <= abs(item) < 1e16 and item != 0.0:  # NaN included
                return True
    return False
