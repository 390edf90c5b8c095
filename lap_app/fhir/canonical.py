"""The bytes the CPS signature covers (docs/fhir-mapping.md, "Canonical serialisation")."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# orjson writes what ``json.dumps`` writes (sorted keys, compact, UTF-8, same escapes) except
# for a float below 1e-4 or from 1e16 on (``1e-5`` → "0.00001", ``1e16`` → "1e16" where json
# writes "1e-05", "1e+16") and for NaN/Infinity (orjson: "null"; json: refused). In orjson's
# compact output a number starts after ``:``, ``,`` or ``[``: such a number, or a null, sends
# the Bundle the exact way (a string that merely looks like one only costs time).
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS)  # what json.dumps would not write alike: the exact way
_MAYBE_DIFFERENT = re.compile(rb"[:,\[](?:null|-?0\.0000|-?\d+(?:\.\d+)?e)")


def canonical_bytes(bundle: dict[str, Any]) -> bytes:
    """The Bundle without ``signature``: JSON, sorted keys, no spaces, UTF-8 (not ASCII-escaped),
    byte for byte ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)``; about twenty times faster through orjson when that gives the same bytes."""
    unsigned = {key: value for key, value in bundle.items() if key != "signature"}
    try:
        fast = orjson.dumps(unsigned, option=_ORJSON_OPTIONS)
    except TypeError:  # integers beyond 64 bits, non-text keys, lone surrogates, subclasses, dates...
        fast = None
    if fast is not None and _MAYBE_DIFFERENT.search(fast) is None:
        return fast
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")
