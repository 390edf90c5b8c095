"""What a half-filled form holds, read and put back widget by widget, so a form left for one
patient can be kept aside and given back to them (and never to the next patient)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QListWidget, QSpinBox, QWidget

FormState = tuple[Any, ...]


def _fields(form: QWidget) -> list[QWidget]:
    """The form's input widgets, in a stable order; the line edits inside combos and spin
    boxes are their owners' business."""
    return [widget for widget in form.findChildren(QWidget)
            if isinstance(widget, (QLineEdit, QSpinBox, QComboBox, QCheckBox, QListWidget))
            and not (isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)))]


def _value(widget: QWidget) -> Any:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QComboBox):
        return widget.currentIndex(), widget.currentText() if widget.isEditable() else None
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QListWidget):
        return widget.currentRow()
    return None


class FormFields:
    """The form's fields, listed once: Qt reorders a widget's children when a page is raised."""

    def __init__(self, form: QWidget) -> None:
        self._fields = _fields(form)

    def state(self) -> FormState:
        return tuple(_value(widget) for widget in self._fields)

    def has_text(self) -> bool:
        """Something typed (a line edit or an editable combo): numbers and ticks alone are the
        form's settings, kept from one line to the next, not a line being written."""
        return any(widget.text().strip() if isinstance(widget, QLineEdit)
                   else widget.isEditable() and widget.currentText().strip() if isinstance(widget, QComboBox)
                   else False for widget in self._fields)

    def restore(self, state: FormState) -> None:
        """Put ``state`` back; a list's chosen row last, once the typed search has filled it."""
        for widget, value in zip(self._fields, state, strict=True):
            if isinstance(widget, QLineEdit):
                widget.setText(value)
            elif isinstance(widget, QSpinBox):
                widget.setValue(value)
            elif isinstance(widget, QComboBox):
                index, text = value
                widget.setCurrentIndex(index)
                if text is not None:
                    widget.setCurrentText(text)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(value)
        for widget, value in zip(self._fields, state, strict=True):
            if isinstance(widget, QListWidget) and value < widget.count():
                widget.setCurrentRow(value)
