"""A label that takes no room while it has nothing to say."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class TransientLabel(QLabel):
    """Shown while its text is not empty: an empty status line would take a row of height
    from the lists the physician reads."""

    def setText(self, text: str) -> None:  # noqa: N802 - the Qt method it extends
        super().setText(text)
        self.setVisible(bool(text))
