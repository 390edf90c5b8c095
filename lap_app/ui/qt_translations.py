"""Qt's own strings in French: standard buttons ("Annuler", "Oui"), print and file dialogs,
the context menu of text fields.

They come from ``qtbase_fr.qm``, shipped in PySide6's translations folder (the wheel carries
it; a PyInstaller build keeps it under ``PySide6/Qt/translations``, see
``packaging/lap-app.spec``). Our own strings go through ``lap_app.i18n._`` instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

QT_CATALOGUE = "qtbase"
_installed: QTranslator | None = None


def translation_dirs() -> list[Path]:
    """Where ``qtbase_fr.qm`` may be: Qt's configured path first, then the PySide6 package
    folder (the same place unless a frozen build's qt.conf was not applied)."""
    import PySide6

    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    package_dir = Path(PySide6.__file__).resolve().parent / "Qt" / "translations"
    if package_dir not in dirs:
        dirs.append(package_dir)
    return dirs


def install_qt_translations(app: QCoreApplication, locale: QLocale | None = None) -> bool:
    """Idempotent: one translator per application object, which owns it. Returns whether
    Qt's strings are translated (False: the catalogue is missing, Qt stays English)."""
    global _installed
    if _installed is not None and _owned_by(_installed, app):
        return True
    locale = locale or QLocale(QLocale.Language.French, QLocale.Country.France)
    translator = QTranslator(app)
    for directory in translation_dirs():
        # tries qtbase_fr_FR.qm, then qtbase_fr.qm
        if translator.load(locale, QT_CATALOGUE, "_", str(directory)):
            app.installTranslator(translator)
            _installed = translator
            return True
    translator.deleteLater()
    return False


def _owned_by(translator: QTranslator, app: QCoreApplication) -> bool:
    try:
        return translator.parent() is app
    except RuntimeError:  # the application that owned it was destroyed
        return False
