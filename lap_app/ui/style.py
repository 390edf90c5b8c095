"""The one stylesheet of the application: calm, light, readable."""

from __future__ import annotations

ACCENT = "#2f6f8f"
DANGER = "#b3261e"
WARNING = "#9a6700"
OK = "#2e7d32"
ARROWS = ":/qt-project.org/styles/commonstyle/images"  # shipped inside QtWidgets itself

STYLESHEET = f"""
QWidget {{ font-size: 10pt; color: #1f2328; }}
QMainWindow, QDialog {{ background: #f6f7f9; }}
QGroupBox {{ background: #ffffff; border: 1px solid #d8dde3; border-radius: 6px;
             margin-top: 14px; padding: 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #4a5560;
                    font-weight: 600; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QDateEdit, QPlainTextEdit, QTextEdit {{
    background: #ffffff; border: 1px solid #c5ccd3; border-radius: 4px; padding: 3px 5px; }}
QLineEdit:focus, QSpinBox:focus, QComboBox:focus, QDateEdit:focus, QPlainTextEdit:focus {{
    border: 1px solid {ACCENT}; }}
/* with the box styled, Fusion no longer draws the spin buttons' arrows: draw them here */
QSpinBox::up-button, QDoubleSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::down-button {{
    subcontrol-origin: border; width: 16px; background: #f0f3f6; border-left: 1px solid #c5ccd3; }}
QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 4px; }}
QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-position: bottom right;
    border-bottom-right-radius: 4px; }}
QSpinBox::up-button:hover, QDoubleSpinBox::up-button:hover, QSpinBox::down-button:hover,
QDoubleSpinBox::down-button:hover {{ background: #dde6ec; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({ARROWS}/arrow-up-16.png); width: 9px; height: 9px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url({ARROWS}/arrow-down-16.png); width: 9px; height: 9px; }}
QSpinBox::up-arrow:disabled, QSpinBox::up-arrow:off, QDoubleSpinBox::up-arrow:disabled,
QDoubleSpinBox::up-arrow:off, QSpinBox::down-arrow:disabled, QSpinBox::down-arrow:off,
QDoubleSpinBox::down-arrow:disabled, QDoubleSpinBox::down-arrow:off {{ image: none; }}
QLineEdit[invalid="true"] {{ border: 2px solid {DANGER}; background: #fdecea; }}
QPushButton {{ background: #ffffff; border: 1px solid #b9c1c9; border-radius: 4px;
               padding: 5px 12px; }}
QPushButton:hover {{ background: #eef3f6; }}
QPushButton:focus {{ border: 1px solid {ACCENT}; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: #ffffff; border: 1px solid {ACCENT};
               font-weight: 600; }}
QPushButton:default {{ border: 2px solid {ACCENT}; }}
QPushButton:disabled {{ color: #9aa4ad; background: #f0f2f4; border-color: #d8dde3; }}
QListWidget, QTableWidget, QTreeWidget, QTableView, QListView {{ background: #ffffff;
    border: 1px solid #d8dde3; border-radius: 4px; alternate-background-color: #f7f9fa; }}
QHeaderView::section {{ background: #eef1f4; border: none; border-bottom: 1px solid #d8dde3;
                         padding: 4px; font-weight: 600; }}
QStatusBar {{ background: #e9edf1; border-top: 1px solid #d0d6dc; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QLabel[role="title"] {{ font-size: 15pt; font-weight: 600; color: #22313f; }}
QLabel[role="subtitle"] {{ color: #5a6670; }}
QLabel[role="error"] {{ color: {DANGER}; font-weight: 600; }}
QLabel[role="ok"] {{ color: {OK}; font-weight: 600; }}
QLabel[role="number"] {{ font-family: "DejaVu Sans Mono", monospace; font-size: 16pt;
                         font-weight: 600; color: #22313f; }}
QFrame[role="banner"] {{ background: #fff4d6; border-bottom: 1px solid #e8cf86; }}
QFrame[role="banner"] QLabel {{ color: #5c4400; }}
QFrame[role="locked"] {{ background: rgba(246, 247, 249, 235); }}
"""


def set_role(widget, role: str) -> None:
    """Tag a widget for the stylesheet and re-polish it so the change shows at once (only when
    the role changes: ``QStyle.polish`` called from Python builds PySide's whole ``Qt`` namespace
    the first time, ~25 ms, which the first window can do without)."""
    if (widget.property("role") or "") == role:
        return
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_initial_role(widget, role: str) -> None:
    """The role of a widget being built, not polished yet: Qt styles it when it first shows."""
    widget.setProperty("role", role)
