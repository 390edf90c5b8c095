"""Printing through the real CUPS queue "PDF" (cups-pdf): the application's print service sends
the rendered ordonnance as PDF (vector); in the file CUPS writes, the text layer holds the
patient's name and the posology, and the QR code decodes to the number."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ui_support import EXAMPLE_BUNDLE, require_service


def _cups_pdf_queue_ready() -> bool:
    if not shutil.which("lpstat"):
        return False
    running = subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout
    queue = subprocess.run(["lpstat", "-p", "PDF"], capture_output=True, text=True)
    return "is running" in running and queue.returncode == 0


def _cups_pdf_out_dir() -> Path:
    out = "${HOME}/PDF"
    conf = Path("/etc/cups/cups-pdf.conf")
    if conf.exists():
        for line in conf.read_text(errors="replace").splitlines():
            if line.strip().startswith("Out "):
                out = line.split(None, 1)[1].strip()
    return Path(out.replace("${HOME}", str(Path.home())))


def _ordonnance_pdf() -> tuple[bytes, str]:
    """The example ordonnance rendered by the application (A5, bizone), and its number."""
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    return render_ordonnance_pdf(ordonnance, "A5"), ordonnance.number


def _file_cups_wrote(job_name: str, timeout: float = 180) -> Path:
    """The PDF cups-pdf wrote for ``job_name`` (its file name starts with the job's title).
    Patient: cups-pdf runs Ghostscript on the job, seconds on a quiet machine, far more at load 20."""
    out_dir = _cups_pdf_out_dir()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in out_dir.glob(f"{job_name}*.pdf") if out_dir.exists() else []:
            # cups-pdf writes the file in place: whole once its trailer is there and it grows no more
            # (a stable size alone was a pause of a loaded machine in the middle of the file)
            size = path.stat().st_size
            time.sleep(0.3)
            if size and size == path.stat().st_size and path.read_bytes().rstrip().endswith(b"%%EOF"):
                return path
        time.sleep(0.3)
    raise AssertionError(f"CUPS wrote no PDF for {job_name} under {out_dir}")


def _text_of(pdf_path: Path) -> str:
    """The PDF's text layer, as a search in a PDF reader sees it (words joined by single spaces)."""
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode("utf-8").split())


def _qr_codes_of_first_page(pdf_path: Path, tmp_path: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / pdf_path.stem[:20]
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf_path), str(prefix)], check=True)
    page_png = next(tmp_path.glob(prefix.name + "*.png"))
    return [c.text for c in zxingcpp.read_barcodes(Image.open(page_png)) if c.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.cups
def test_print_service_sends_a_pdf_whose_qr_cups_writes(qapp, tmp_path):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    from lap_app.printing import PrintService

    job_name = f"lap-test-{time.time_ns()}"
    pdf, number = _ordonnance_pdf()
    printer = PrintService(preferred_printer="PDF").print_pdf(pdf, job_name=job_name)
    assert printer == "PDF"

    written = _file_cups_wrote(job_name)
    assert _qr_codes_of_first_page(written, tmp_path) == [number]
    size = subprocess.run(["pdfinfo", str(written)], capture_output=True, text=True).stdout
    assert "(A5)" in size  # the paper follows the ordonnance's page size


@pytest.mark.cups
def test_the_pdf_cups_writes_has_a_text_layer_with_the_patient_and_the_posology(qapp, tmp_path):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    import json

    from lap_app.fhir import from_bundle
    from lap_app.printing import PrintService
    from lap_app.printing.service import VECTOR_PATH
    from lap_app.render import render_ordonnance_pdf

    ordonnance = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    pdf = render_ordonnance_pdf(ordonnance, "A5")
    service = PrintService(preferred_printer="PDF")
    assert service.path == VECTOR_PATH  # Linux with CUPS: the PDF itself goes to the queue
    job_name = f"lap-text-{time.time_ns()}"
    service.print_pdf(pdf, job_name=job_name)

    written = _file_cups_wrote(job_name)
    text = _text_of(written)
    patient = ordonnance.patient
    assert f"{patient.family_name} {' '.join(patient.given_names)}" in text  # « DUPONT Jean Émile »
    for line in ordonnance.lines:
        assert line.posology.sentence() in text  # « 1 comprimé matin et soir, au cours des repas… »
    assert _qr_codes_of_first_page(written, tmp_path) == [ordonnance.number]
    # vector: tens of kilobytes, where a 300-dpi image of the page weighed ~660 KB
    assert written.stat().st_size < 200_000, written.stat().st_size


@pytest.mark.cups
def test_a_printer_cups_does_not_know_is_a_clear_message(qapp):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    from lap_app.printing import PrintError, PrintService

    pdf, _number = _ordonnance_pdf()
    with pytest.raises(PrintError) as refused:
        PrintService(preferred_printer="PDF").print_pdf(pdf, "Imprimante-du-couloir", job_name="lap-test-none")
    assert "Imprimante-du-couloir" in refused.value.message and "introuvable" in refused.value.message


def test_cups_media_follow_the_ordonnance_page_size():
    from lap_app.printing.cups import media_for

    assert media_for(419.5, 595.3) == "A5"
    assert media_for(595.3, 419.5) == "A5"  # a landscape page keeps its paper
    assert media_for(595.28, 841.89) == "A4"
    assert media_for(300, 400) == "Custom.300x400"


@pytest.mark.cups
def test_f9_in_the_validation_result_prints_on_the_default_printer(qtbot, tmp_path):
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    from contexts import complete_context
    from PySide6.QtCore import Qt

    from lap_app.domain.status import OrdonnanceStatus
    from lap_app.services.prescribing import PrescriptionOutcome
    from lap_app.ui.validation_flow import ResultDialog

    context = complete_context(tmp_path / "store.sqlite3")
    context.settings.default_printer = "PDF"
    pdf, number = _ordonnance_pdf()
    result = PrescriptionOutcome(ordonnance_id=1, number=number, status=OrdonnanceStatus.REGISTERED, pdf=pdf)
    dialog = ResultDialog(context, result)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClick(dialog, Qt.Key.Key_F9)
    assert dialog.print_status.text() == "Impression en cours…"
    qtbot.waitUntil(lambda: "« PDF »" in dialog.print_status.text(), timeout=20000)
    written = _file_cups_wrote(f"ordonnance-{number}")
    assert _qr_codes_of_first_page(written, tmp_path) == [number]
