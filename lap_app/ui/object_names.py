"""Qt object names, set in a way the type checker follows.

PySide6 accepts any Qt property as a constructor keyword (``QLabel(objectName="x")``), but its
type stubs list only each class's own properties, so ``objectName`` (a QObject property) reads
as an error. Tests, style sheets and ``findChild`` find widgets by these names."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

Q = TypeVar("Q", bound=QObject)


def named(qobject: Q, name: str) -> Q:
    """``qobject``, with ``name`` as its Qt object name."""
    qobject.setObjectName(name)
    return qobject
