"""Typed access to untrusted JSON: every wrong type or missing field becomes a ``Problem``
at its JSON path, read as absent, so that reading goes on and all problems are reported."""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import date, datetime
from typing import Any

from lap_app.domain.errors import Problem
from lap_app.i18n import _

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_NUMBERS = (int, float, (int, float))  # kinds a JSON boolean must not pass for (bool is an int)

JsonObject = dict[str, Any]  # a JSON object as json.loads returns it: every value still to be checked
ByUrl = dict[str, tuple[str, JsonObject]]  # a Bundle's resources by fullUrl: (JSON path, resource)


class Fatal(Exception):
    """The structure is too broken to go on: report what was found so far."""


def at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class JsonReader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.paths: dict[str, str] = {}  # domain path → JSON path

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def map(self, domain_path: str, json_path: str) -> None:
        self.paths[domain_path] = json_path

    # -- typed getters: a wrong type is reported and read as absent
    def get(self, obj: JsonObject, key: str, path: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
        # called some 200 times per Bundle: the path string is built only for a problem
        value = obj.get(key)
        if value is None:  # absent or null
            if required:
                self.problem(at(path, key), _("champ obligatoire manquant"))
            return None
        if isinstance(value, kind) and not (value.__class__ is bool and kind in _NUMBERS):
            return value
        self.problem(at(path, key), _("type incorrect : {kind} attendu").format(kind=kind_name(kind)))
        return None

    # text, obj and dicts: the usual cases (the right type, or absent and optional) inline,
    # anything else the general way; together they are called some 180 times per Bundle
    def text(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> str | None:
        value = obj.get(key)
        if value.__class__ is not str:  # what json.loads gives; anything else the general way
            if value is None and not required:
                return None
            value = self.get(obj, key, path, str, required=required)
        if required and value is not None and not value.strip():
            self.problem(at(path, key), _("champ obligatoire vide"))
        return value

    def obj(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> JsonObject | None:
        value = obj.get(key)
        if value.__class__ is dict or (value is None and not required):
            return value
        found: JsonObject | None = self.get(obj, key, path, dict, required=required)
        return found

    def items(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> list[tuple[str, Any]]:
        value = self._list(obj, key, path, required)
        if not value:
            return []
        where = at(path, key)
        return [(f"{where}[{i}]", item) for i, item in enumerate(value)]

    def dicts(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> list[tuple[str, JsonObject]]:
        value = obj.get(key)
        if value is None and not required:
            return []
        if value.__class__ is not list or not value:
            value = self._list(obj, key, path, required)
            if not value:
                return []
        where = at(path, key)
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((f"{where}[{i}]", item))
            else:
                self.problem(f"{where}[{i}]", _("type incorrect : {kind} attendu").format(kind=kind_name(dict)))
        return out

    def _list(self, obj: JsonObject, key: str, path: str, required: bool) -> list[Any] | None:
        value: list[Any] | None = self.get(obj, key, path, list, required=required)
        if required and value is not None and not value:
            self.problem(at(path, key), _("liste vide"))
        return value

    def strings(self, obj: JsonObject, key: str, path: str) -> list[str]:
        out = []
        for where, item in self.items(obj, key, path):
            if isinstance(item, str):
                out.append(item)
            else:
                self.problem(where, _("type incorrect : {kind} attendu").format(kind=kind_name(str)))
        return out

    def codes(self, concept: JsonObject | None, path: str, system: str) -> list[str]:
        """The codes of ``system`` in a CodeableConcept (non-text codes are reported)."""
        out = []
        for where, coding in self.dicts(concept or {}, "coding", path):
            if coding.get("system") == system:
                code = self.text(coding, "code", where, required=True)
                if code is not None:
                    out.append(code)
        return out

    def decimal(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> float | None:
        value: float | None = self.get(obj, key, path, (int, float), required=required)
        if isinstance(value, float) and not math.isfinite(value):  # json.loads accepts NaN
            self.problem(at(path, key), _("nombre fini attendu"))
            return None
        return value

    def integer(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> int | None:
        value: int | None = self.get(obj, key, path, int, required=required)
        return value

    def datetime(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> datetime | None:
        value = self.text(obj, key, path, required=required)
        if value is None:
            return None
        if _DATETIME.match(value):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        self.problem(
            at(path, key),
            _("date et heure invalides : « {v} » (attendu AAAA-MM-JJThh:mm:ss+hh:mm)").format(v=value),
        )
        return None

    def date(self, obj: JsonObject, key: str, path: str, *, required: bool = False) -> date | None:
        value = self.text(obj, key, path, required=required)
        if value is None:
            return None
        if _DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(at(path, key), _("date invalide : « {v} » (attendu AAAA-MM-JJ)").format(v=value))
        return None


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "texte", int: "entier", float: "nombre", bool: "booléen", dict: "objet", list: "liste"}
    if isinstance(kind, tuple):
        return "nombre" if set(kind) == {int, float} else " ou ".join(names[k] for k in kind)
    return names.get(kind, kind.__name__)


def ref_target(
    r: JsonReader, obj: JsonObject | None, path: str, by_url: ByUrl, kind: str | tuple[str, ...]
) -> str | None:
    """The fullUrl referenced by ``obj.reference`` if it points to a ``kind`` entry (or one of
    the ``kind`` tuple)."""
    if obj is None:
        return None
    ref = r.text(obj, "reference", path, required=True)
    if ref is None:
        return None
    target = by_url.get(ref)
    if target is None:
        r.problem(f"{path}.reference", _("référence introuvable dans le Bundle : {ref}").format(ref=ref))
        return None
    kinds = (kind,) if isinstance(kind, str) else kind
    if target[1].get("resourceType") not in kinds:
        r.problem(f"{path}.reference", _("la référence doit désigner une ressource {kind}").format(kind=" ou ".join(kinds)))
        return None
    return ref


def same_ref(r: JsonReader, res: JsonObject, key: str, path: str, expected: str | None, kind: str) -> None:
    """``res.key`` must reference the ordonnance's ``kind`` (the one the Composition names)."""
    obj = r.obj(res, key, path, required=True)
    if obj is None or expected is None:
        return
    ref = r.text(obj, "reference", f"{path}.{key}", required=True)
    if ref is not None and ref != expected:
        r.problem(
            f"{path}.{key}.reference",
            _("la référence doit désigner le {kind} de l'ordonnance ({url})").format(kind=kind, url=expected),
        )


def first_item(r: JsonReader, obj: JsonObject, key: str, path: str) -> tuple[str, JsonObject]:
    items = r.dicts(obj, key, path)
    return items[0] if items else (f"{path}.{key}", {})


def time_quantity(r: JsonReader, obj: JsonObject | None, path: str) -> tuple[float | None, str | None]:
    if obj is None:
        return None, None
    value = r.decimal(obj, "value", path, required=True)
    code = r.text(obj, "code", path, required=True)
    return value, code


def base64_bytes(r: JsonReader, obj: JsonObject, key: str, path: str, *, required: bool = False) -> bytes | None:
    text = r.text(obj, key, path, required=required)
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        r.problem(f"{path}.{key}", _("contenu base64 invalide"))
        return None
