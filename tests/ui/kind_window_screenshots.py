"""The whole main window with the kinds of ordonnance, as PNG in docs/screenshots/window-*.png
(offscreen Qt, demo environment in a temporary folder; nothing of the user's is touched).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/kind_window_screenshots.py [OUT_DIR]

Screens: medicines with LPP devices on the same ordonnance (patient in ALD), biology with a
ready-made template, nursing, the patient's history of every kind, a consultation the base
stopped midway (its result dialog), then completed by « Réessayer ».
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from screenshots import REPO, pump, until


class _WrongSecondSignature:
    """The session's card, whose second signature is wrong: the base refuses that ordonnance."""

    def __init__(self, card: object) -> None:
        self._card, self._count = card, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._card, name)

    def sign_digest(self, digest: bytes, **options: object) -> bytes:
        self._count += 1
        signature: bytes = self._card.sign_digest(digest, **options)  # type: ignore[attr-defined]
        return bytes(b ^ 0xFF for b in signature) if self._count == 2 else signature


def main(out: Path) -> int:
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="lap-shots-"))
    os.environ.setdefault("LAP_DATA_DIR", str(work / "data"))
    os.environ["LAP_CONFIG_DIR"] = str(work / "config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    out.mkdir(parents=True, exist_ok=True)

    from lap_app.demo.environment import DemoEnvironment
    from lap_app.domain.kinds import OrdonnanceKind
    from lap_app.services.drafting import line_for_drug
    from lap_app.ui.app import apply_style, create_application
    from lap_app.ui.main_window import MainWindow

    app = create_application()
    env = DemoEnvironment(work / "demo", pcsc=False, base_port=0).start()
    try:
        context = env.context()
        window = MainWindow(context)
        apply_style(app)
        window.resize(1440, 900)
        window.show()
        until(window.login_page.pin_edit.isEnabled)
        window.login_page.pin_edit.setText("1234")
        window.login_page.submit()
        until(lambda: not window.is_locked())
        record = context.services.patients.search("DURAND")[0]
        window.patient_panel.select(record)
        line = line_for_drug(context.drugs.search("metformine 1000", limit=1)[0])
        line.posology.duration, line.posology.duration_unit = 3, "mo"
        window.editor.load_lines([line])
        care = window.care_editor
        care.choose_kind(OrdonnanceKind.DISPOSITIFS)
        care.with_medicines_check.setChecked(True)
        care.search_edit.setText("bandelettes")
        pump(0.5)
        care.add_current()
        window._show_kind(OrdonnanceKind.DISPOSITIFS)
        care.search_edit.setText("lecteur de glycémie")
        pump(0.5)
        window.grab().save(str(out / "window-devices-with-medicines.png"))
        care.search_edit.clear()
        care.with_medicines_check.setChecked(False)

        care.choose_kind(OrdonnanceKind.BIOLOGIE)
        care._fill_templates()
        next(a for a in care.templates_menu.actions() if a.text() == "Bilan diabète annuel").trigger()
        pump()
        window.grab().save(str(out / "window-biology.png"))

        care.choose_kind(OrdonnanceKind.SOINS_INFIRMIERS)
        care.act_combo.setCurrentText("Pansement simple d'une plaie")
        care.times_spin.setValue(2)
        care.nursing_duration.setValue(15)
        care.nursing_home.setChecked(True)
        care.sundays_check.setChecked(True)
        care.add_current()
        pump()
        window.grab().save(str(out / "window-nursing.png"))

        real_card = context.session.card
        context.session.card = _WrongSecondSignature(real_card)
        window.validate()
        flow = window._flow
        until(lambda: flow.result_dialog is not None or flow.message is not None, timeout=60, what="validation")
        if flow.result_dialog is None:
            raise SystemExit("validation refused: " + flow.message.text())
        first = flow.result_dialog
        pump()
        first.grab().save(str(out / "window-consultation-incomplete.png"))
        window.grab().save(str(out / "window-after-incomplete.png"))
        context.session.card = real_card
        first.retry_button.click()
        until(lambda: flow.result_dialog is not first, timeout=60, what="retry")
        pump()
        flow.result_dialog.grab().save(str(out / "window-consultation-completed.png"))
        flow.result_dialog.close()

        window.history.refresh()
        until(lambda: window.history.table.rowCount() >= 7, what="history")
        pump(0.5)
        window.grab().save(str(out / "window-history-every-kind.png"))
        window.close()
    finally:
        env.stop()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
    raise SystemExit(main(target))
