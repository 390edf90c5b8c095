"""Integers in a request's JSON: kept exact, or refused, never rounded.

orjson (the lean path's parser) reads an integer beyond 64 bits — outside [-2^63, 2^64 - 1] — as a
float, silently changing it; Python's json keeps it exact but a registration stored with it
could not be written back by orjson. The base refuses such a value with a 422
``invalid_request`` naming where it is (docs/protocol.md, "Errors").
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from lap_app.standins.base_server.errors import ApiError

SMALLEST, LARGEST = -(2 ** 63), 2 ** 64 - 1  # what orjson reads as an integer
PROBLEM = "entier hors de la plage 64 bits : refusé plutôt qu'arrondi"
_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # 2^63 and 2^64 have 19 and 20 digits


class _Beyond:
    """Where Python's json read an integer outside the range (or too long to convert)."""


_BEYOND = _Beyond()


def loads_exact(body: bytes, prefix: str = "body") -> Any:
    """The request's JSON as orjson reads it, unless it holds a run of 19 digits or more (where
    an integer beyond 64 bits may be): then Python's json, every integer checked. Raises
    ``ValueError`` for JSON that is not, ``ApiError`` 422 for an integer beyond 64 bits."""
    if not _LONG_DIGITS.search(body):
        return orjson.loads(body)
    found = False

    def integer(text: str) -> int | _Beyond:
        nonlocal found
        value = int(text) if len(text) <= 21 else None  # longer: beyond (and no slow conversion)
        if value is None or not SMALLEST <= value <= LARGEST:
            found = True
            return _BEYOND
        return value

    data = json.loads(body, parse_int=integer, parse_constant=_no_constant)
    if found:
        raise beyond_64_bits(prefix + (_path_of(data, lambda value: value is _BEYOND) or ""))
    return data


def check_integers(value: Any, prefix: str) -> None:
    """``value`` as Python's json read it (every integer exact): ``ApiError`` 422 at the first
    integer beyond 64 bits."""
    path = _path_of(value, lambda item: item.__class__ is int and not SMALLEST <= item <= LARGEST)
    if path is not None:
        raise beyond_64_bits(prefix + path)


def beyond_64_bits(path: str) -> ApiError:
    return ApiError(422, "invalid_request", "Requête invalide", [{"path": path, "message": PROBLEM}])


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # as orjson: NaN and Infinity are not JSON


def _path_of(value: Any, wanted: Any) -> str | None:
    """The path (``.key``, ``[index]``) of the first item of ``value`` that is ``wanted``."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if wanted(node):
            return path
        if isinstance(node, dict):
            stack.extend((f"{path}.{key}", item) for key, item in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", item) for index, item in reversed(list(enumerate(node))))
    return None
