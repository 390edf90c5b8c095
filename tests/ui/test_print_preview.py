"""The print preview: pages rendered at the size shown (sharp at the fitted zoom and after
zooming, the QR code readable from the screen image), Ctrl+P and Entrée print from it."""

from __future__ import annotations

import json
import time

import pytest
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from test_printing_cups import _cups_pdf_queue_ready, _file_cups_wrote, _text_of

from ui_support import EXAMPLE_BUNDLE, require_service


def _example() -> tuple[bytes, object]:
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    return render_ordonnance_pdf(ordonnance, "A5"), ordonnance


def _preview(qtbot, printer: str = "PDF", job_name: str = "ordonnance", size=(700, 640)):
    from lap_app.printing import PrintService, load_pdf_pages
    from lap_app.ui.print_preview import PrintPreview

    pdf, ordonnance = _example()
    dialog = PrintPreview(PrintService(preferred_printer=printer), load_pdf_pages(pdf), job_name)
    qtbot.addWidget(dialog)
    dialog.resize(*size)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.page_labels[0].pixmap() is not None and not dialog.page_labels[0].pixmap().isNull(),
                    timeout=3000)
    return dialog, ordonnance


def _page_image(dialog) -> QImage:
    return dialog.page_labels[0].pixmap().toImage()


def _rendered_at_shown_size(dialog) -> None:
    """The page's pixels are the screen's pixels: no image scaled afterwards."""
    label, pixmap = dialog.page_labels[0], dialog.page_labels[0].pixmap()
    ratio = pixmap.devicePixelRatio()
    assert pixmap.width() == round(label.width() * ratio) and pixmap.height() == round(label.height() * ratio)
    width_pt = dialog._pages.sizes_pt[0][0]
    assert abs(pixmap.width() - width_pt * dialog.shown_scale()) <= 1.0


def _qr_texts(image: QImage) -> list[str]:
    from PIL import Image

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(image.constBits())[: image.bytesPerLine() * image.height()]
    pil = Image.frombuffer("RGB", (image.width(), image.height()), data, "raw", "RGB", image.bytesPerLine(), 1)
    return [c.text for c in zxingcpp.read_barcodes(pil) if c.format == zxingcpp.BarcodeFormat.QRCode]


def test_the_fitted_page_is_rendered_at_its_shown_size_and_stays_so_when_zooming(qtbot):
    dialog, ordonnance = _preview(qtbot)
    fitted = dialog.zoom()
    assert fitted < 0.8  # the whole A5 page in a 640-pixel-high dialog
    _rendered_at_shown_size(dialog)
    assert dialog.zoom_label.text() == f"{round(fitted * 100)} %"
    assert _qr_texts(_page_image(dialog)) == [ordonnance.number]  # readable from the screen

    qtbot.keyClick(dialog, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom() > fitted
    _rendered_at_shown_size(dialog)  # rendered again at the new size, not the old image stretched
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    _rendered_at_shown_size(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom() == pytest.approx(fitted)


def test_the_preview_text_is_anti_aliased_not_a_scaled_print_image(qtbot):
    """Letters at the fitted zoom have grey edges (smoothing), where a 300-dpi image scaled
    without smoothing is pure black and white."""
    dialog, _ordonnance = _preview(qtbot)
    image = _page_image(dialog).convertToFormat(QImage.Format.Format_Grayscale8)
    levels = set(bytes(image.constBits()))
    greys = [level for level in levels if 40 < level < 215]
    assert len(greys) > 50, len(greys)


def test_escape_closes_the_preview(qtbot):
    dialog, _ordonnance = _preview(qtbot)
    qtbot.keyClick(dialog.page_area, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


@pytest.mark.cups
@pytest.mark.parametrize("keys", ["ctrl+p", "enter"])
def test_ctrl_p_and_enter_print_from_the_preview(qtbot, tmp_path, keys):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    job_name = f"lap-preview-{keys.replace('+', '')}-{time.time_ns()}"
    dialog, ordonnance = _preview(qtbot, job_name=job_name)
    sent: list[str] = []
    dialog.printed.connect(sent.append)
    dialog.activateWindow()
    focused = dialog.focusWidget()
    assert focused is dialog.page_area  # where the keyboard is when the preview opens
    if keys == "ctrl+p":
        qtbot.keyClick(focused, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    else:
        qtbot.keyClick(focused, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sent == ["PDF"], timeout=20000)
    assert not dialog.isVisible()  # printed: the preview closes
    written = _file_cups_wrote(job_name)
    assert ordonnance.patient.family_name in _text_of(written)
