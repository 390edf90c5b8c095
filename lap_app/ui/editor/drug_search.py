"""Search-as-you-type over the drug base.

The search runs in the GUI thread on every keystroke: the drug base answers a prefix query in
well under a millisecond (FTS5), so results appear in the same frame; a thread hop would only
add latency. Results show the drug's name (brand, strength, form: what tells two rows of one
search apart), its substances and strength, marketed status, price and reimbursement, and the
generic group. Down arrow moves into the results; Enter (or a double click) chooses.

How long names are shown, so that a screenful holds ten rows and more (1366 × 768) even for
combinations (« AMOXICILLINE/ACIDE CLAVULANIQUE ARROW 1 g/125 mg ADULTES, poudre pour
suspension buvable en sachet-dose (rapport amoxicilline/acide clavulanique : 8/1) »):
- a name wraps, on two lines at the most;
- a name that already names the drug's substances (a generic) spans the DCI column too: the
  DCI would only repeat it;
- a trailing « (rapport … : 8/1) » is left out of the list: the strength says it already;
- what two lines cannot hold is elided at the end (the DCI of a vaccine, a description after
  the form); every cell's whole text is in its tooltip, and the line once chosen shows it all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget

from lap_app.drugs.normalize import fold_words
from lap_app.i18n import _
from lap_app.ui.object_names import named
from lap_app.ui.transient_label import TransientLabel

_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_GREY = QBrush(QColor("#8a949c"))

# The pharmaceutical form is not a column of its own: the name ends with it ("DOLIPRANE 1000 mg,
# comprimé effervescent sécable"), whole; the DCI column gives the substances and their strength.
COLUMNS = (_("Médicament"), _("DCI"), _("Comm."), _("Prix"), _("Remb."), _("Générique"))


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


# « (rapport amoxicilline/acide clavulanique : 8/1) », « (Rapport … 7/1) »: the strength says it
_RATIO_NOTE = re.compile(r"\s*\((?:rapport)\b[^()]*\)\s*$", re.IGNORECASE)
_FIRST_DIGIT = re.compile(r"\d")


def list_name(drug: Any) -> str:
    """The name as the results list shows it: whole, less a trailing ratio note."""
    return _RATIO_NOTE.sub("", str(_get(drug, "name", default="")))


def names_its_substances(name: str, substances: str) -> bool:
    """True when ``name`` contains each substance's name ("AMOXICILLINE/ACIDE CLAVULANIQUE
    BIOGARAN 1 g/125 mg…" and "AMOXICILLINE 1000 mg + ACIDE CLAVULANIQUE 125 mg"): its DCI
    cell would say nothing the name does not."""
    words = f" {fold_words(name).lower()} "
    parts = [part for part in substances.split(" + ") if part.strip()]
    if not parts:
        return False
    for part in parts:
        match = _FIRST_DIGIT.search(part)
        substance = fold_words(part[: match.start()] if match else part).lower()
        if not substance or f" {substance} " not in words:
            return False
    return True


def price_text(drug: Any) -> str:
    # the database hands the range out with the search; the presentations are read on demand
    price_range = _get(drug, "price_range")
    if price_range is None:
        prices = [p for p in (_get(x, "price") for x in _get(drug, "presentations", default=()) or ()) if p]
        price_range = (min(prices), max(prices)) if prices else None
    if not price_range:
        return ""
    low, high = price_range
    text = f"{low:.2f} €" if low == high else f"{low:.2f}–{high:.2f} €"
    return text.replace(".", ",")


def reimbursement_text(drug: Any) -> str:
    rates = _get(drug, "reimbursement_rates")
    if rates is None:
        rates = sorted({r for r in (_get(x, "reimbursement_rate") for x in _get(drug, "presentations", default=()) or ())
                        if r is not None})
    if not rates:
        return _("NR")
    return " / ".join(f"{int(r) if float(r).is_integer() else r} %" for r in rates)


def substances_text(drug: Any) -> str:
    """The DCI wording without the form the name already shows: "PARACÉTAMOL 1000 mg"."""
    dci, form = str(_get(drug, "dci", default="")), str(_get(drug, "form", default=""))
    suffix = f", {form}"
    return dci[: -len(suffix)] if form and dci.endswith(suffix) else dci


def status_text(drug: Any) -> str:
    """Marketed or not, in full, with any availability alert (the tooltip of the "Comm." column)."""
    marketed = _get(drug, "marketed", default=True)
    text = _("commercialisé") if marketed else _("non commercialisé")
    alert = _get(drug, "availability_alert", "availability", default="")
    if alert:
        text += f" · {alert}"
    return text


def status_cell(drug: Any) -> str:
    """What the narrow "Comm." column shows: oui / non, and ⚠ when availability is alerted."""
    text = _("oui") if _get(drug, "marketed", default=True) else _("non")
    return f"{text} ⚠" if _get(drug, "availability_alert", "availability", default="") else text


def generic_text(drug: Any) -> str:
    """The drug's role in its generic group and the group's princeps, e.g. "générique (AUGMENTIN 1 g)"."""
    group = _get(drug, "generic", "generic_group", default=None)
    if group is None:
        return ""
    if isinstance(group, str):
        return group
    role = _get(group, "role", default="")
    label = str(_get(group, "label", default=""))
    # BDPM labels read "<substances> - <PRINCEPS> - <other brands>": the princeps names the group
    parts = [p.strip() for p in label.split(" - ") if p.strip()]
    reference = (parts[1] if len(parts) > 1 else label).split(", ")[0][:40]
    return f"{role} ({reference})" if role and reference else str(role or reference)


def generic_role_text(drug: Any) -> str:
    """What the narrow "Générique" column shows: the role alone (the group is in the tooltip)."""
    group = _get(drug, "generic", "generic_group", default=None)
    if group is None or isinstance(group, str):
        return group or ""
    return str(_get(group, "role", default="") or generic_text(drug))


def price_details(drug: Any) -> str:
    """Each presentation's price and reimbursement rate, for the "Prix" tooltip."""
    lines = []
    for item in _get(drug, "presentations", default=()) or ():
        price, rate = _get(item, "price"), _get(item, "reimbursement_rate")
        if price is None and rate is None:
            continue
        text = str(_get(item, "label", default="") or _get(item, "cip13", default=""))
        if price is not None:
            text += " : " + f"{price:.2f} €".replace(".", ",")
        if rate is not None:
            text += f" ({int(rate) if float(rate).is_integer() else rate} %)"
        lines.append(text)
    return "\n".join(lines)


# The columns' widths: Médicament and DCI share what is left (the name the larger part), and
# wrap; each short column is sized once to the widest text it usually holds (a longer text is
# elided, whole in the tooltip). Never from the results: a resize of the columns to their
# contents on every keystroke would cost more than the search itself.
NAME, DCI, STATUS, PRICE, RATE, GENERIC = range(6)
STRETCHED = (NAME, DCI)
DCI_SHARE = 0.42  # of the width the two wrapped columns share
TYPICAL_WIDEST = {
    STATUS: "non ⚠",
    PRICE: "1,96–5,18 €",
    RATE: "65 %",
    GENERIC: "générique",
}
CELL_PADDING = 8  # the item's text margins and the grid line
ROW_HEIGHT = 22  # a one-line row
ROW_MARGIN = 4  # above and below a row's text
MAX_ROW_LINES = 2  # a longer text is elided on the second line (whole in the tooltip)
CELLS_KEPT = 5_000  # drugs whose cells were worked out (the base holds about 15 000)
LINE_COUNTS_KEPT = 5_000  # wrapped texts measured, kept for the next keystrokes
HEADER_PADDING = 14  # the header section's padding and border


def _cells_key(drug: Any) -> tuple | None:
    """What a drug's cells are made of (another release's price or status makes other cells);
    None for a result that does not say its CIS: its cells are not kept."""
    cis = _get(drug, "cis")
    if cis is None:
        return None
    try:
        key = (cis, _get(drug, "name"), _get(drug, "dci"), _get(drug, "form"), _get(drug, "marketed"),
               _get(drug, "availability_alert"), _get(drug, "price_range"), _get(drug, "reimbursement_rates"),
               _get(drug, "generic"))
        hash(key)
    except TypeError:  # a result whose fields cannot be told apart cheaply
        return None
    return key


class DrugResultsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._cells: list[tuple[str, ...]] = []
        self._marketed: list[bool] = []
        self.spanning: list[int] = []  # the rows whose name spans the DCI column
        self._known: dict[tuple, tuple[tuple[str, ...], bool]] = {}  # drug -> cells, spans the DCI column

    def set_results(self, results: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(results)
        shown = [self._cells_of(d) for d in self._rows]
        self._cells = [cells for cells, _spans in shown]
        self.spanning = [row for row, (_cells, spans) in enumerate(shown) if spans]
        self._marketed = [bool(_get(d, "marketed", default=True)) for d in self._rows]
        self.endResetModel()

    def _cells_of(self, drug: Any) -> tuple[tuple[str, ...], bool]:
        """A drug's six cells and whether its name spans the DCI column, worked out once for
        what they show (a search typed letter by letter finds the same drugs again and again)."""
        key = _cells_key(drug)
        known = self._known.get(key) if key is not None else None
        if known is None:
            cells = (list_name(drug), substances_text(drug), status_cell(drug), price_text(drug),
                     reimbursement_text(drug), generic_role_text(drug))
            known = cells, names_its_substances(cells[NAME], cells[DCI])
            if key is not None:
                if len(self._known) > CELLS_KEPT:
                    self._known.clear()
                self._known[key] = known
        return known

    def cell(self, row: int, column: int) -> str:
        return self._cells[row][column]

    def drug(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # called hundreds of times per repaint: plain int comparisons, precomputed cells
        if role == _DISPLAY:
            return self._cells[index.row()][index.column()]
        if role == _FOREGROUND:
            return None if self._marketed[index.row()] else _GREY
        if role == _TOOLTIP:
            return self._tooltip(index.row(), index.column())
        return None

    def _tooltip(self, row: int, column: int) -> str:
        """The whole text of a cell the column may cut, then the drug it belongs to."""
        drug = self._rows[row]
        summary = (str(_get(drug, "name", default="")), str(_get(drug, "dci", default="")),
                   f"CIS {_get(drug, 'cis', default='')}")
        if column in STRETCHED:
            return "\n".join(filter(None, summary))
        if column == GENERIC:
            group = _get(drug, "generic", "generic_group", default=None)
            whole = generic_text(drug)
            label = "" if group is None or isinstance(group, str) else str(_get(group, "label", default=""))
            detail = "\n".join(filter(None, (whole, label)))
        elif column == PRICE:
            detail = "\n".join(filter(None, (self._cells[row][column], price_details(drug))))
        elif column == STATUS:
            detail = status_text(drug)
        else:
            detail = self._cells[row][column]
        if not detail:
            return "\n".join(filter(None, summary))
        return f"{COLUMNS[column]} : {detail}\n{summary[0]}"

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None


class ResultsView(QTableView):
    """The results table; ``on_resize()`` when its width changes (a Python event filter on the
    viewport would run for every paint and mouse event: a cost on every keystroke)."""

    def __init__(self, on_resize: Callable[[], None]) -> None:
        super().__init__()
        self._on_resize = on_resize

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._on_resize()


class DrugSearch(QWidget):
    """A search box over the drug base and its results; ``drug_chosen(result)`` on Enter."""

    drug_chosen = Signal(object)

    def __init__(self, drugs: Any, parent: QWidget | None = None, limit: int = 20, edit_apart: bool = False) -> None:
        """``edit_apart``: the search box is laid out by the owner (above the results or the
        line being written, which take turns in the same place)."""
        super().__init__(parent)
        self.setObjectName("drugSearch")
        self._drugs = drugs
        self._limit = limit
        self.on_escape: Callable[[], bool] | None = None  # Échap in the box; True when it was used
        self.edit = named(QLineEdit(placeholderText=_("Rechercher un médicament : nom, DCI, CIS ou CIP13 (Ctrl+F)")),
                          "drugSearchEdit")
        self.edit.setClearButtonEnabled(True)
        self.model = DrugResultsModel(self)
        self._line_counts: dict[tuple[str, int], int] = {}  # (text, width) -> wrapped lines, for the session
        self.view = named(ResultsView(self._fit_wrapped_columns), "drugResults")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        # a name too long for its column wraps (its row grows): never cut, never a tooltip to read
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)  # the short columns only
        # every column in view: no sideways scrolling to reach the price or the generic group
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # always there: a scroll bar coming and going with the results would change the width,
        # and every row's height with it, as the GP types
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == NAME
                                        else QHeaderView.ResizeMode.Fixed)
        self._fit_short_columns()
        self.status = named(TransientLabel(), "drugSearchStatus")
        self.status.setProperty("role", "subtitle")
        self.status.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if not edit_apart:
            layout.addWidget(self.edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

        self.edit.textChanged.connect(self.search)
        self.edit.returnPressed.connect(self._choose_current)
        self.edit.installEventFilter(self)
        self.view.installEventFilter(self)
        self.view.doubleClicked.connect(lambda index: self._choose(index.row()))

    def _fit_short_columns(self) -> None:
        """Size the short columns to their typical widest text and their header (once, and again
        when the font or the stylesheet changes); Médicament and DCI share the rest."""
        cells, header = self.view.fontMetrics(), self.view.horizontalHeader()
        bold = QFont(header.font())
        bold.setBold(True)  # the stylesheet's header sections are semi-bold, with 4 px of padding
        titles = QFontMetrics(bold)
        for column, sample in TYPICAL_WIDEST.items():
            width = max(cells.horizontalAdvance(sample) + CELL_PADDING,
                        titles.horizontalAdvance(COLUMNS[column]) + HEADER_PADDING)
            header.resizeSection(column, width)

    def _fit_wrapped_columns(self) -> None:
        """The DCI column's share of the width left by the short ones (the name stretches over
        the rest); then each row as tall as its wrapped texts."""
        header = self.view.horizontalHeader()
        fixed = sum(header.sectionSize(column) for column in TYPICAL_WIDEST)
        shared = max(0, self.view.viewport().width() - fixed)
        header.resizeSection(DCI, max(90, int(shared * DCI_SHARE)))
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Each row as tall as its wrapped name or DCI, two lines at the most; a generic's name
        across both columns. Measured here on the two wrapped columns only, a single line by its
        width alone: Qt's resizeRowsToContents lays out every cell of every row and would double
        the cost of a keystroke."""
        header, rows = self.view.horizontalHeader(), self.view.verticalHeader()
        metrics = self.view.fontMetrics()
        line = metrics.lineSpacing()
        single = max(ROW_HEIGHT, line + ROW_MARGIN)
        widths = {column: max(1, header.sectionSize(column) - CELL_PADDING) for column in STRETCHED}
        across = header.sectionSize(NAME) + header.sectionSize(DCI) - CELL_PADDING
        spanning = set(self.model.spanning)
        self.view.clearSpans()
        for row in spanning:
            self.view.setSpan(row, NAME, 1, 2)
        counts = self._line_counts
        for row in range(self.model.rowCount()):
            lines = 1
            cells = ((NAME, across),) if row in spanning else widths.items()
            for column, width in cells:
                text = self.model.cell(row, column)
                key = (text, width)
                count = counts.get(key)
                if count is None:  # the same names come back keystroke after keystroke
                    count = 1
                    if metrics.horizontalAdvance(text) > width:
                        box = metrics.boundingRect(QRect(0, 0, width, 10_000), int(Qt.TextFlag.TextWordWrap), text)
                        count = -(-box.height() // line)
                    if len(counts) > LINE_COUNTS_KEPT:
                        counts.clear()
                    counts[key] = count
                lines = max(lines, count)
            rows.resizeSection(row, single + (min(lines, MAX_ROW_LINES) - 1) * line)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._line_counts.clear()
            if self.isVisible():  # hidden (the working area being built): fitted when shown
                self._fit_short_columns()
                self._fit_wrapped_columns()
        super().changeEvent(event)

    def showEvent(self, event) -> None:  # the application stylesheet may have come since __init__
        self._fit_short_columns()
        self._fit_wrapped_columns()
        super().showEvent(event)

    def search(self, text: str) -> None:
        """Query the base and show the results (called on every keystroke)."""
        text = text.strip()
        if not text or self._drugs is None:
            self.model.set_results([])
            self.status.setText("" if self._drugs is not None else _("Base des médicaments indisponible."))
            return
        results = self._drugs.search(text, limit=self._limit)
        self.model.set_results(results)
        self._fit_rows()  # a wrapped name takes two lines
        if results:
            self.view.selectRow(0)
            self.status.setText("")
        else:
            self.status.setText(_("Aucun médicament ne correspond à « {text} ».").format(text=text))

    def results(self) -> list[Any]:
        return [self.model.drug(row) for row in range(self.model.rowCount())]

    def _choose_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self._choose(index.row())
        elif self.model.rowCount():
            self._choose(0)

    def _choose(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.drug_chosen.emit(self.model.drug(row))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = cast(QKeyEvent, event).key()
            if watched is self.edit and key == Qt.Key.Key_Escape and self.on_escape is not None and self.on_escape():
                return True
            if watched is self.edit and key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rowCount():
                row = max(0, self.view.currentIndex().row())
                row = min(self.model.rowCount() - 1, max(0, row + (1 if key == Qt.Key.Key_Down else -1)))
                self.view.selectRow(row)
                return True
            if watched is self.view and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_current()
                return True
        return super().eventFilter(watched, event)
