"""The settings dialog: practice details, paper, printer, base URL and CA, how the CPS is read."""

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
        self.setMinimumWidth(900)

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

        card_box = self._card_box(settings)

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
        left.addWidget(practice_box)
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

    def _show_card_backend(self) -> None:
        self.pkcs11_module.setEnabled(self.card_backend.currentData() == "pkcs11")

    def _choose_module(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Module PKCS#11"), "",
                                                    _("Modules PKCS#11 (*.so *.dll *.dylib)"))
        if path:
            self.pkcs11_module.setCurrentText(path)

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
        module = self.pkcs11_module.currentText().strip()
        if self.card_backend.currentData() == "pkcs11" and not Path(module).is_file():
            return _("Le module PKCS#11 « {path} » est introuvable : installez la Cryptolib CPS ou choisissez "
                     "le fichier du module.").format(path=module)
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
        settings.card.backend = self.card_backend.currentData()
        settings.card.pkcs11_module = (self.pkcs11_module.currentText().strip()
                                       if settings.card.backend == "pkcs11" else settings.card.pkcs11_module)
        self._context.save_settings()
        super().accept()
