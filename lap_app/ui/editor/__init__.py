"""The prescription editor (drug search, structured posology, lines, favourites, templates)."""

from lap_app.ui.editor.prescription_editor import PrescriptionEditor

__all__ = ["PrescriptionEditor"]
