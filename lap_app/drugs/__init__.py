"""Drug knowledge: the official BDPM (search, DCI wording, generics, prescribing conditions)
and the ANSM interaction thesaurus. See docs/drugs.md.

Public API (stable, used by the services and the UI):
``ensure_drug_database(path=None) -> Path`` (build on first start, any thread),
``open_drug_database(path=None) -> DrugDatabase`` (one per thread) with ``search``, ``get``, ``by_cip13``,
``check_interactions`` and ``coverage``; the value types in ``lap_app.drugs.models``.
"""

from typing import TYPE_CHECKING, Any

from lap_app.drugs.database import (
    DrugDatabase,
    default_database_path,
    ensure_drug_database,
    open_drug_database,
)

if TYPE_CHECKING:
    from lap_app.drugs.models import (
        LEVEL_LABELS,
        Alert,
        DrugResult,
        GenericInfo,
        PrescribingCondition,
        Presentation,
        Substance,
    )

_MODELS = {"LEVEL_LABELS", "Alert", "DrugResult", "GenericInfo", "PrescribingCondition", "Presentation", "Substance"}


def __getattr__(name: str) -> Any:
    """The value types, loaded with the first one asked for: opening the database (the window's
    start) does not need their classes."""
    if name in _MODELS:
        from lap_app.drugs import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "LEVEL_LABELS",
    "Alert",
    "DrugDatabase",
    "DrugResult",
    "GenericInfo",
    "PrescribingCondition",
    "Presentation",
    "Substance",
    "default_database_path",
    "ensure_drug_database",
    "open_drug_database",
]
