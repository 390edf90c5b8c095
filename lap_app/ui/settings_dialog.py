"""The settings dialog: practice details, paper, printer, base URL and CA."""

from __future__ import annotations

from pathlib import Path

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
    QVBoxLayout,
    QWidget,
)

from lap_app.i18n import _
from lap_app.printing import PrintService
from lap_app.settings.model import PAPER_SIZES
from lap_app.ui.context import AppContext
from lap_app.ui.style import set_role


class SettingsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        settings = context.settings
        self.setWindowTitle(_("Paramètres"))
        self.setMinimumWidth(520)

        practice = settings.practice
        self.address = QPlainTextEdit("\n".join(practice.address_lines))
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(60)
        self.postal_code = QLineEdit(practice.postal_code)
        self.city = QLineEdit(practice.city)
        self.phone = QLineEdit(practice.phone)
        self.email = QLineEdit(practice.email)
        self.qualification = QLineEdit(practice.qualification)
        practice_box = QGroupBox(_("Cabinet (imprimé sur l'ordonnance)"))
        form = QFormLayout(practice_box)
        form.addRow(_("Adresse"), self.address)
        form.addRow(_("Code postal"), self.postal_code)
        form.addRow(_("Ville"), self.city)
        form.addRow(_("Téléphone"), self.phone)
        form.addRow(_("Courriel"), self.email)
        form.addRow(_("Qualification"), self.qualification)

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

        self.base_url = QLineEdit(settings.base.url)
        self.base_url.setPlaceholderText(_("vide : base de démonstration locale"))
        self.base_ca = QLineEdit(settings.base.ca_path)
        browse = QPushButton(_("Choisir…"))
        browse.clicked.connect(self._choose_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.base_ca, 1)
        ca_row.addWidget(browse)
        base_box = QGroupBox(_("Base ordonnance numérique"))
        form = QFormLayout(base_box)
        form.addRow(_("Adresse (URL)"), self.base_url)
        form.addRow(_("Certificat de l'autorité (CA)"), ca_row)

        self.message = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (practice_box, print_box, base_box, self.message, buttons):
            layout.addWidget(widget)

    def _choose_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Certificat de l'autorité"), "",
                                                    _("Certificats (*.pem *.crt)"))
        if path:
            self.base_ca.setText(path)

    def _problem(self) -> str:
        url = self.base_url.text().strip()
        if url and not url.startswith("https://"):
            return _("L'adresse de la base doit commencer par https:// (connexion chiffrée obligatoire).")
        ca = self.base_ca.text().strip()
        if url and not ca:
            return _("Indiquez le certificat de l'autorité qui a émis celui de la base.")
        if ca and not Path(ca).is_file():
            return _("Le fichier de certificat « {path} » est introuvable.").format(path=ca)
        email = self.email.text().strip()
        if email and "@" not in email:
            return _("L'adresse de courriel n'est pas valable.")
        return ""

    def accept(self) -> None:
        problem = self._problem()
        if problem:
            self.message.setText(problem)
            set_role(self.message, "error")
            return
        settings = self._context.settings
        practice = settings.practice
        practice.address_lines = [text.strip() for text in self.address.toPlainText().splitlines() if text.strip()]
        practice.postal_code = self.postal_code.text().strip()
        practice.city = self.city.text().strip()
        practice.phone = self.phone.text().strip()
        practice.email = self.email.text().strip()
        practice.qualification = self.qualification.text().strip()
        settings.paper_size = self.paper.currentText()
        settings.default_printer = self.printer.currentData() or ""
        settings.base.url = self.base_url.text().strip()
        settings.base.ca_path = self.base_ca.text().strip()
        self._context.save_settings()
        super().accept()
