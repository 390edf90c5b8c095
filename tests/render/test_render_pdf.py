"""The rendered ordonnance, checked as a pharmacist and a patient would: scan the QR code,
read the page, count the pages."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lap_app.domain.errors import UserError
from lap_app.domain.model import PrescriptionLine, Zone
from lap_app.domain.posology import Posology

import render_samples as samples
from render_checks import decode_codes, flat, page_images, page_texts

ALD_HEADING = "Prescriptions relatives au traitement de l'affection de longue durée reconnue"
HORS_ALD_HEADING = "Prescriptions SANS RAPPORT avec l'affection de longue durée"


def test_qr_code_holds_exactly_the_number_and_rpps_barcode_scans(bizone_pdf):
    (image,) = page_images(bizone_pdf)
    codes = decode_codes(image)
    assert codes["QRCode"] == [samples.NUMBER]
    assert codes["Code128"] == ["10101234564"]


def test_qr_code_sits_at_the_bottom_left(bizone_pdf):
    import zxingcpp

    (image,) = page_images(bizone_pdf)
    (qr,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    width, height = image.size
    assert qr.position.top_left.x < width * 0.2
    assert qr.position.top_left.y > height * 0.8


def test_page_shows_prescriber_patient_date_and_every_line(bizone_pdf):
    (text,) = page_texts(bizone_pdf)
    text = flat(text)
    for expected in (
        "Dr Claire MARTIN",
        "Médecin qualifié en médecine générale",
        "12 rue des Lilas",
        "75011 Paris, France",
        "+33 1 23 45 67 89",
        "claire.martin@cabinet-exemple.fr",
        "RPPS : 10101234564",
        "Paris, le 25 novembre 2026",
        "DUPONT Jean Émile",
        "Né le 14/03/1958",
        "68 ans",
        "INS : 1 58 03 75 056 123 21",
        "CHLORHYDRATE DE METFORMINE 1000 mg, comprimé pelliculé",
        "METFORMINE ALMUS 1000 mg",
        "1 comprimé matin et soir, au cours des repas, pendant 3 mois",
        "Durée de traitement : 90 jours",
        "LEVOTHYROX 100 microgrammes, comprimé sécable",
        "À renouveler 2 fois",
        "Non substituable (MTE)",
        "PARACÉTAMOL 1000 mg, comprimé",
        "en respectant 6 heures entre deux prises, pendant 5 jours",
        "Quantité : 1 boîte",
        "Non renouvelable",
        "Ne pas associer à un autre médicament contenant du paracétamol.",
        "2026 1125 0000 4292",
        "vous pouvez vous y opposer",
        "Signature du prescripteur",
        "page 1/1",
    ):
        assert expected in text, expected
    assert "s'est opposé" not in text


def test_bizone_headings_frame_the_lines_in_order(bizone_pdf):
    text = flat(page_texts(bizone_pdf)[0])
    ald, hors = text.index(ALD_HEADING), text.index(HORS_ALD_HEADING)
    assert ald < text.index("METFORMINE 1000 mg, comprimé pelliculé") < hors
    assert hors < text.index("LEVOTHYROX") < text.index("PARACÉTAMOL")


def test_plain_ordonnance_has_no_zone_headings(render):
    text = flat(page_texts(render(samples.plain(2)))[0])
    assert "affection de longue durée" not in text
    assert "MÉDICAMENT D'ESSAI N° 02" in text


def test_bizone_with_only_ald_lines_still_prints_both_zones(render):
    text = flat(page_texts(render(samples.ordonnance([samples.metformin()])))[0])
    assert ALD_HEADING in text and HORS_ALD_HEADING in text


def test_a5_page_size_and_content(a5_pdf):
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(a5_pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (420, 595)
    text = flat(page.extract_text())
    assert "PARACÉTAMOL 1000 mg, comprimé" in text and HORS_ALD_HEADING in text
    (image,) = page_images(a5_pdf, dpi=200)
    assert decode_codes(image)["QRCode"] == [samples.NUMBER]


def test_a4_page_size(bizone_pdf):
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(bizone_pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_long_ordonnance_repeats_header_qr_and_number_on_every_page(long_pdf):
    texts = [flat(t) for t in page_texts(long_pdf)]
    pages = len(texts)
    assert pages >= 2
    for index, (text, image) in enumerate(zip(texts, page_images(long_pdf), strict=True), start=1):
        assert f"page {index}/{pages}" in text
        assert "Dr Claire MARTIN" in text and "DUPONT Jean Émile" in text
        assert "2026 1125 0000 4292" in text
        assert "s'est opposé à ce que le prescripteur consulte" in text
        assert decode_codes(image)["QRCode"] == [samples.NUMBER]
    everything = " ".join(texts)
    for i in range(1, 26):
        wording = f"MÉDICAMENT D'ESSAI N° {i:02d} "
        assert everything.count(wording) == 1, wording
        # a line is never split: its wording and its posology are on the same page
        page = next(t for t in texts if wording in t)
        tablets, days = ("comprimé", "jour") if i == 1 else ("comprimés", "jours")
        assert f"{i} {tablets} matin, midi et soir pendant {i} {days}" in page


def test_zone_continued_on_next_page_repeats_its_heading(render):
    lines = [samples.numbered_line(i, Zone.ALD) for i in range(1, 22)] + [samples.paracetamol()]
    texts = [flat(t) for t in page_texts(render(samples.ordonnance(lines)))]
    assert len(texts) >= 2
    assert ALD_HEADING in texts[0] and f"{ALD_HEADING} (suite)" in texts[1]
    assert HORS_ALD_HEADING in texts[-1]


def test_line_taller_than_a_page_is_cut_not_lost(render):
    long_text = " ".join(f"consigne{i:03d}" for i in range(600))
    line = PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(text="1 comprimé matin et soir"),
                            boxes=1, instructions=long_text)
    everything = flat(" ".join(page_texts(render(samples.ordonnance([line])))))
    assert all(f"consigne{i:03d}" in everything for i in range(600))


def test_unbroken_pasted_text_is_cut_between_characters_not_lost(render):
    pasted = "".join(f"{i:04d}" for i in range(750))  # 3,000 characters without a space
    line = PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(text="1 comprimé matin et soir"),
                            boxes=1, instructions=pasted)
    packed = "".join(" ".join(page_texts(render(samples.ordonnance([line])))).split())
    assert pasted in packed


def test_offline_paper_ordonnance_has_no_qr_and_says_why(offline_pdf):
    (image,) = page_images(offline_pdf)
    assert "QRCode" not in decode_codes(image)
    text = flat(page_texts(offline_pdf)[0])
    assert "Ordonnance papier" in text
    assert "R.4073-2" in text and "connexion Internet interrompue" in text
    assert "N° d'ordonnance" not in text


def test_offline_without_reason_states_the_default_one(render):
    text = flat(page_texts(render(samples.plain(1, number=None)))[0])
    assert "service de l'ordonnance numérique indisponible" in text


def test_duplicate_carries_the_watermark(render):
    assert "DUPLICATA" in flat(page_texts(render(samples.ordonnance(), duplicate=True))[0])
    assert "DUPLICATA" not in flat(page_texts(render(samples.ordonnance()))[0])


def test_every_french_character_is_drawn_with_embedded_fonts(render):
    from pypdf import PdfReader

    from lap_app.render.fonts import missing_glyphs

    tricky = "Œdème, cœur, µg, ½ comprimé, l’œil « très » ÉPAISSI, ça, Noël, Ÿ"
    line = PrescriptionLine("ACÉTYLSALICYLATE DE LYSINE 75 mg", Posology(text=tricky), boxes=1)
    patient = samples.patient(family_name="LŒUVRE-D’ÉTÉ", given_names=["Anaïs", "Zoë"])
    pdf = render(samples.ordonnance([line], patient=patient))
    assert missing_glyphs(tricky + patient.family_name) == set()
    text = flat(page_texts(pdf)[0])
    assert tricky in text and "LŒUVRE-D’ÉTÉ Anaïs Zoë" in text
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts, "no font in the PDF"
    for name, font in fonts.items():
        assert "DejaVuSans" in name
        assert "/FontFile2" in font["/FontDescriptor"], f"{name} is not embedded"


def test_characters_beyond_the_everyday_glyphs_are_embedded_for_their_document(render, bizone_pdf, tmp_path):
    """Everyday glyphs come from one subset built once per process; others (Polish, Greek) get
    a subset of their own in the document that uses them, and leave the next document as it was."""
    line = PrescriptionLine("β-BLOQUANT Ω 5 mg", Posology(text="1 comprimé le matin (≈ 08 h)"), boxes=1)
    patient = samples.patient(family_name="ŁUKASZEWSKI-ØSTBY", given_names=["Zoë"])
    pdf = render(samples.ordonnance([line], patient=patient))
    text = flat(page_texts(pdf)[0])
    assert "ŁUKASZEWSKI-ØSTBY Zoë" in text and "β-BLOQUANT Ω 5 mg" in text and "(≈ 08 h)" in text
    path = tmp_path / "o.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = report.splitlines()[2:]
    assert len(rows) > 3 and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), report
    assert render(samples.ordonnance()) == bizone_pdf


def test_pdffonts_reports_every_font_embedded(bizone_pdf, tmp_path):
    path = tmp_path / "o.pdf"
    path.write_bytes(bizone_pdf)
    report = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = report.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), report


def test_identical_input_gives_identical_bytes_even_across_processes(bizone_pdf, render):
    assert render(samples.ordonnance()) == bizone_pdf
    code = (
        "import sys; sys.path.insert(0, 'tests/render'); import render_samples as samples; "
        "from lap_app.render import render_ordonnance_pdf as r; "
        "sys.stdout.buffer.write(r(samples.ordonnance()))"
    )
    root = Path(__file__).resolve().parents[2]
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, cwd=root).stdout
    assert other == bizone_pdf


def test_patient_age_weight_and_height_for_a_child(render):
    from datetime import date

    from lap_app.domain.model import Sex

    child = samples.patient(family_name="PETIT", given_names=["Léa"], sex=Sex.FEMALE,
                            birth_date=date(2025, 8, 2), weight_kg=8.4, height_cm=71, ins=None)
    text = flat(page_texts(render(samples.ordonnance([samples.paracetamol()], patient=child)))[0])
    assert "Née le 02/08/2025" in text and "15 mois" in text
    assert "Poids : 8,4 kg" in text and "Taille : 71 cm" in text
    assert "INS" not in text


def test_invalid_number_is_refused_before_printing(render):
    with pytest.raises(UserError, match="clé de contrôle"):
        render(samples.ordonnance(number="2026112500004293"))


def test_unknown_page_size_is_a_user_error(render):
    with pytest.raises(UserError, match="A4, A5"):
        render(samples.ordonnance(), "Letter")


def test_long_names_and_addresses_wrap_never_cut(render):
    patient = samples.patient(family_name="DE LA TOUR D’AUVERGNE-LAURAGAIS-SAINT-ÉTIENNE",
                              given_names=["Marie-Clémentine", "Geneviève", "Éléonore"])
    prescriber = samples.prescriber()
    prescriber.given_names = ["Jean-Baptiste", "François-Xavier", "Hippolyte"]
    prescriber.family_name = "MONTMORENCY-LAVAL DE BEAUFORT"
    prescriber.address.lines = ["Centre médical pluridisciplinaire des Hauts-de-Seine, bâtiment B, 3e étage"]
    pdf = render(samples.ordonnance(patient=patient, prescriber=prescriber))
    text = flat(page_texts(pdf)[0])
    packed = "".join(text.split())
    for name in (patient.display_name, prescriber.display_name):  # possibly over two lines
        assert "".join(name.split()) in packed, name
    assert "3e étage" in text


def test_an_adults_weight_is_not_printed(render):
    adult = samples.patient(weight_kg=81.5, height_cm=178)
    text = flat(page_texts(render(samples.ordonnance([samples.paracetamol()], patient=adult)))[0])
    assert "Né le 14/03/1958" in text
    assert "Poids" not in text and "Taille" not in text


def test_a_patient_in_ald_gets_the_bizone_even_with_no_line_in_the_ald_zone(render):
    in_ald = samples.patient(ald=True)
    text = flat(page_texts(render(samples.ordonnance([samples.paracetamol()], patient=in_ald)))[0])
    ald = "Prescriptions relatives au traitement de l'affection de longue durée reconnue"
    hors_ald = "Prescriptions SANS RAPPORT avec l'affection de longue durée"
    assert ald in text and hors_ald in text
    assert text.index(ald) < text.index(hors_ald) < text.index("PARACÉTAMOL 1000 mg")
    plain = flat(page_texts(render(samples.ordonnance([samples.paracetamol()])))[0])
    assert ald not in plain and hors_ald not in plain
