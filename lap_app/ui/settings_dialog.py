"""The settings dialog (practice details, paper, printer, base URL and CA, how the CPS is read),
and the practice dialog asked at first start, while the details every ordonnance carries are
missing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyleOptionFrame,
    QVBoxLayout,
    QWidget,
)

from lap_app.i18n import _
from lap_app.printing import PrintService
from lap_app.services.base_connection import endpoint_problem
from lap_app.services.practice import REQUIRED_PRACTICE_FIELDS, missing_practice_fields
from lap_app.settings import PracticeSettings
from lap_app.settings.model import PAPER_SIZES
from lap_app.ui.context import AppContext
from lap_app.ui.object_names import named
from lap_app.ui.style import set_role


class AddressEdit(QLineEdit):
    """An address field never narrower than its placeholder: the hint says what to type
    (« postgresql://… (vide : le fichier de ce poste) ») and must read whole."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        # measured with the current font (the style sheet's), as QLineEdit measures its own text
        margins, text_margins = self.contentsMargins(), self.textMargins()
        inner = QSize(self.fontMetrics().horizontalAdvance(self.placeholderText()) + 2 * LINE_EDIT_TEXT_MARGIN
                      + margins.left() + margins.right() + text_margins.left() + text_margins.right(),
                      hint.height())
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        outer = self.style().sizeFromContents(QStyle.ContentsType.CT_LineEdit, option, inner, self)
        return QSize(max(hint.width(), outer.width()), hint.height())


LINE_EDIT_TEXT_MARGIN = 2  # QLineEdit's own space each side of its text (qlineedit_p.h)


class PracticeForm(QGroupBox):
    """« Cabinet »: the practice details printed on the ordonnance (CSP R.5132-3)."""

    def __init__(self, practice: PracticeSettings, parent: QWidget | None = None) -> None:
        super().__init__(_("Cabinet (imprimé sur l'ordonnance)"), parent)
        self.address = QPlainTextEdit("\n".join(practice.address_lines))
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(60)
        self.address.setPlaceholderText(_("n° et rue (une ou deux lignes)"))
        self.postal_code = QLineEdit(practice.postal_code)
        self.city = QLineEdit(practice.city)
        self.phone = QLineEdit(practice.phone)
        self.email = QLineEdit(practice.email)
        self.email.setPlaceholderText(_("facultatif"))
        self.qualification = QLineEdit(practice.qualification)
        self.qualification.setPlaceholderText(_("ex. : Médecine générale"))
        form = QFormLayout(self)
        for name, label, widget in (("address_lines", _("Adresse"), self.address),
                                    ("postal_code", _("Code postal"), self.postal_code),
                                    ("city", _("Ville"), self.city), ("phone", _("Téléphone"), self.phone),
                                    ("email", _("Courriel"), self.email),
                                    ("qualification", _("Qualification"), self.qualification)):
            form.addRow(label + (" *" if name in REQUIRED_PRACTICE_FIELDS else ""), widget)

    def practice(self, country: str = "France") -> PracticeSettings:
        return PracticeSettings(
            address_lines=[line.strip() for line in self.address.toPlainText().splitlines() if line.strip()],
            postal_code=self.postal_code.text().strip(), city=self.city.text().strip(), country=country,
            phone=self.phone.text().strip(), email=self.email.text().strip(),
            qualification=self.qualification.text().strip())

    def problem(self) -> str:
        email = self.email.text().strip()
        if email and "@" not in email:
            return _("L'adresse de courriel n'est pas valable.")
        return ""


class SettingsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        settings = context.settings
        self.setWindowTitle(_("Paramètres"))
        # no fixed minimum width: the layout's own minimum keeps every label whole (it fits 1366×768)

        self.practice_form = PracticeForm(settings.practice)

        self.paper = QComboBox()
        self.paper.addItems(list(PAPER_SIZES))
        self.paper.setCurrentText(settings.paper_size)
        self.printer = QComboBox()
        self.printer.addItem(_("Imprimante par défaut du système"), "")
        for name in PrintService.printers():
            self.printer.addItem(name, name)
        index = self.printer.findData(settings.default_printer)
        self.printer.setCurrentIndex(max(index, 0))
        print_box = QGroupBox(_("Impression"))
        form = QFormLayout(print_box)
        form.addRow(_("Format du papier"), self.paper)
        form.addRow(_("Imprimante"), self.printer)
        self.creatinine_days = QSpinBox(minimum=7, maximum=3650, value=settings.creatinine_max_age_days)
        self.creatinine_days.setSuffix(_(" jours"))
        # a long label on two lines: a form never narrows its labels, it would squeeze the fields
        form.addRow(_("Créatinine d'un patient âgé\nà redemander après"), self.creatinine_days)

        base_box, self.base_url, self.base_ca = self._server_box(
            "base", _("Base ordonnance numérique"), _("Adresse (URL)"), settings.base.url,
            _("https://… (vide : aucune base)"), settings.base.ca_path)
        if not context.base_from_settings:  # the demo brings its own base
            base_box.setEnabled(False)
            base_box.setToolTip(_("La démonstration utilise sa propre base locale."))

        card_box = self._card_box(settings)
        # where the practice's data is: this workstation's file (empty) or the practice server
        store_box, self.store_url, self.store_ca = self._server_box(
            "store", _("Serveur du cabinet (pris en compte au prochain démarrage)"), _("Adresse"), settings.store.url,
            _("postgresql://… (vide : le fichier de ce poste)"), settings.store.ca_path)

        self.message = QLabel("")
        self.message.setWordWrap(True)  # a path in the message must not be cut off
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # two columns: the dialog stays within a 768-pixel-high laptop screen
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self.practice_form)
        left.addWidget(store_box)
        left.addStretch(1)
        for box in (print_box, base_box, card_box):
            right.addWidget(box)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _card_box(self, settings) -> QGroupBox:
        """PC/SC (default) or the Cryptolib CPS's PKCS#11 module, with the usual paths offered."""
        from lap_app.card.pkcs11.module_paths import installed_modules, suggested_modules

        self.card_backend = QComboBox()
        self.card_backend.addItem(_("Lecteur PC/SC (par défaut)"), "pcsc")
        self.card_backend.addItem(_("Module PKCS#11 (Cryptolib CPS)"), "pkcs11")
        self.card_backend.setCurrentIndex(max(self.card_backend.findData(settings.card.backend), 0))
        self.pkcs11_module = QComboBox()
        self.pkcs11_module.setEditable(True)
        # a long path must not widen the dialog nor squeeze the labels: it scrolls in the field
        self.pkcs11_module.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.pkcs11_module.setMinimumContentsLength(24)
        offered = installed_modules() + [p for p in suggested_modules() if p not in installed_modules()]
        self.pkcs11_module.addItems(offered)
        self.pkcs11_module.setCurrentText(settings.card.pkcs11_module or (offered[0] if offered else ""))
        editor = self.pkcs11_module.lineEdit()
        if editor is not None:
            editor.setPlaceholderText(_("chemin du module PKCS#11"))
        browse = QPushButton(_("Choisir…"))
        browse.clicked.connect(self._choose_module)
        module_row = QHBoxLayout()
        module_row.addWidget(self.pkcs11_module, 1)
        module_row.addWidget(browse)
        box = QGroupBox(_("Carte CPS (changement pris en compte au prochain démarrage)"))
        form = QFormLayout(box)
        form.addRow(_("Accès à la carte"), self.card_backend)
        form.addRow(_("Module PKCS#11"), module_row)
        self.card_backend.currentIndexChanged.connect(self._show_card_backend)
        self._show_card_backend()
        return box

    def _server_box(self, name: str, title: str, url_label: str, url: str, url_hint: str,
                    ca_path: str) -> tuple[QGroupBox, QLineEdit, QLineEdit]:
        """A server's address and the file of the authority that issued its certificate (with
        « Choisir… »): the box, the address field and the CA field (named ``<name>Url``, ``<name>Ca``)."""
        address = named(AddressEdit(url), f"{name}Url")
        address.setPlaceholderText(url_hint)
        ca = named(QLineEdit(ca_path), f"{name}Ca")
        browse = QPushButton(_("Choisir…"))
        browse.clicked.connect(lambda: self._choose_file(ca))
        ca_row = QHBoxLayout()
        ca_row.addWidget(ca, 1)
        ca_row.addWidget(browse)
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.addRow(url_label, address)
        form.addRow(_("Certificat de l'autorité (CA)"), ca_row)
        return box, address, ca

    def _choose_file(self, target: QLineEdit) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Certificat de l'autorité"), "",
                                                    _("Certificats (*.pem *.crt)"))
        if path:
            target.setText(path)

    def _store_problem(self) -> str:
        from lap_app.storage.postgres import is_server_url

        url, ca = self.store_url.text().strip(), self.store_ca.text().strip()
        if url and not is_server_url(url):
            return _("L'adresse du serveur du cabinet commence par postgresql:// (vide : le fichier de ce poste).")
        if ca and not Path(ca).is_file():
            return _("Le certificat de l'autorité du serveur du cabinet « {path} » est introuvable.").format(path=ca)
        return ""

    def _show_card_backend(self) -> None:
        self.pkcs11_module.setEnabled(self.card_backend.currentData() == "pkcs11")

    def _choose_module(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Module PKCS#11"), "",
                                                    _("Modules PKCS#11 (*.so *.dll *.dylib)"))
        if path:
            self.pkcs11_module.setCurrentText(path)

    def _problem(self) -> str:
        url, ca = self.base_url.text().strip(), self.base_ca.text().strip()
        if url or ca:
            problem = endpoint_problem(url, ca) if url else _("Indiquez l'adresse https:// de la base.")
            if problem:
                return problem
        module = self.pkcs11_module.currentText().strip()
        if self.card_backend.currentData() == "pkcs11" and not Path(module).is_file():
            return _("Le module PKCS#11 « {path} » est introuvable : installez la Cryptolib CPS ou choisissez "
                     "le fichier du module.").format(path=module)
        return self._store_problem() or self.practice_form.problem()

    def accept(self) -> None:
        problem = self._problem()
        if problem:
            self.message.setText(problem)
            set_role(self.message, "error")
            return
        settings = self._context.settings
        settings.practice = self.practice_form.practice(settings.practice.country)
        settings.paper_size = self.paper.currentText()
        settings.default_printer = self.printer.currentData() or ""
        settings.creatinine_max_age_days = self.creatinine_days.value()
        settings.base.url = self.base_url.text().strip()
        settings.base.ca_path = self.base_ca.text().strip()
        settings.store.url = self.store_url.text().strip()
        settings.store.ca_path = self.store_ca.text().strip()
        settings.card.backend = self.card_backend.currentData()
        settings.card.pkcs11_module = (self.pkcs11_module.currentText().strip()
                                       if settings.card.backend == "pkcs11" else settings.card.pkcs11_module)
        self._context.save_settings()
        super().accept()


class PracticeDialog(QDialog):
    """Asked at first start: no ordonnance can be printed without the practice details."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.setWindowTitle(_("Coordonnées du cabinet"))
        self.setMinimumWidth(480)
        intro = QLabel(_("Ces coordonnées sont imprimées sur chaque ordonnance, comme la loi l'exige. "
                         "Sans elles, aucune ordonnance ne peut être signée. Vous pourrez les modifier "
                         "dans Fichier › Paramètres."))
        intro.setWordWrap(True)
        self.form = PracticeForm(context.settings.practice)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Plus tard"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.form, self.message, buttons):
            layout.addWidget(widget)
        self.form.address.setFocus()

    def accept(self) -> None:
        practice = self.form.practice(self._context.settings.practice.country)
        missing = missing_practice_fields(practice)
        problem = self.form.problem() or (_("À renseigner : {fields}.").format(fields=", ".join(missing))
                                          if missing else "")
        if problem:
            self.message.setText(problem)
            set_role(self.message, "error")
            return
        self._context.settings.practice = practice
        self._context.save_settings()
        super().accept()
