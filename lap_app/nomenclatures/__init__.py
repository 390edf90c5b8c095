"""The NABM (biology) and LPP (medical devices) nomenclatures: import and search."""

from lap_app.nomenclatures.database import BIOLOGY, DEVICES, NomenclatureDatabase, NomenclatureEntry, open_nomenclatures
from lap_app.nomenclatures.importer import ImportFailed, ImportReport, build_database, import_files

__all__ = [
    "BIOLOGY",
    "DEVICES",
    "ImportFailed",
    "ImportReport",
    "NomenclatureDatabase",
    "NomenclatureEntry",
    "build_database",
    "import_files",
    "open_nomenclatures",
]
