"""Every kind on paper, checked from the page: the QR code decoded from the image holds the
number on every page (none on imaging and transport, which say why), the text a lab, a nurse
or a physiotherapist reads is on the page, the ALD zones when a line is ALD."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fhir"))
from kind_examples import example_ordonnance, example_path

from lap_app.domain.care import NursingLine, SessionLine
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Zone
from lap_app.fhir import from_bundle
from lap_app.render.ordonnance_pdf import render_ordonnance_pdf

from render_checks import decode_codes, flat, page_images, page_texts

TITLES = {
    OrdonnanceKind.MEDICAMENTS: None,
    OrdonnanceKind.DISPOSITIFS: "ORDONNANCE DE DISPOSITIFS MÉDICAUX",
    OrdonnanceKind.BIOLOGIE: "ORDONNANCE D'ANALYSES DE BIOLOGIE MÉDICALE",
    OrdonnanceKind.SOINS_INFIRMIERS: "ORDONNANCE DE SOINS INFIRMIERS",
    OrdonnanceKind.KINESITHERAPIE: "ORDONNANCE DE MASSO-KINÉSITHÉRAPIE",
    OrdonnanceKind.ORTHOPHONIE: "ORDONNANCE D'ORTHOPHONIE",
    OrdonnanceKind.ORTHOPTIE: "ORDONNANCE D'ORTHOPTIE",
    OrdonnanceKind.PODOLOGIE: "ORDONNANCE DE PÉDICURIE-PODOLOGIE",
    OrdonnanceKind.IMAGERIE: "ORDONNANCE D'IMAGERIE MÉDICALE",
    OrdonnanceKind.TRANSPORT: "PRESCRIPTION MÉDICALE DE TRANSPORT",
}
EXPECTED_TEXT = {
    OrdonnanceKind.MEDICAMENTS: ["METFORMINE 1000 mg", "AUTOCONTROLE DU SUCRE DANS LE SANG, 50 BANDELETTES",
                                 "(LPP 1136894)", "Achat, quantité : 2, pendant 3 mois"],
    OrdonnanceKind.DISPOSITIFS: ["(LPP 1101720)", "Achat, quantité : 2, à renouveler 1 fois"],
    OrdonnanceKind.BIOLOGIE: ["HBA1C : DOSAGE (NABM 1577)", "(NABM 0996)", "À jeun",
                              "Urgent, renseignements cliniques : Asthénie"],
    OrdonnanceKind.SOINS_INFIRMIERS: [
        "Pansement simple d'une plaie",
        "Soins infirmiers à domicile, 1 fois par jour pendant 15 jours, dimanches et jours fériés inclus",
        "Soins infirmiers à domicile, 1 fois par semaine pendant 1 mois"],
    OrdonnanceKind.KINESITHERAPIE: ["10 séances de rééducation du rachis lombaire, 2 séances par semaine"],
    OrdonnanceKind.ORTHOPHONIE: ["1 séance de bilan orthophonique avec rééducation si nécessaire"],
    OrdonnanceKind.ORTHOPTIE: ["12 séances de rééducation orthoptique de l'insuffisance de convergence"],
    OrdonnanceKind.PODOLOGIE: ["5 séances de soins de prévention du pied diabétique (grade 2)"],
    OrdonnanceKind.IMAGERIE: ["Radiographie du rachis lombaire, face et profil", "Échographie abdominale"],
    OrdonnanceKind.TRANSPORT: ["Transport assis professionnalisé (VSL ou taxi conventionné), aller et retour"],
}
PAPER_ONLY = "Ordonnance papier : sans numéro ni QR code"


@pytest.mark.parametrize("kind", list(OrdonnanceKind))
def test_each_documented_example_renders_as_it_is(kind: OrdonnanceKind) -> None:
    ordonnance = from_bundle(json.loads(example_path(kind).read_text(encoding="utf-8")))
    pdf = render_ordonnance_pdf(ordonnance)
    (text,) = [flat(t) for t in page_texts(pdf)]
    (image,) = page_images(pdf)
    codes = decode_codes(image)
    for expected in EXPECTED_TEXT[kind]:
        assert expected in text, expected
    if TITLES[kind]:
        assert TITLES[kind] in text
    if kind.registrable:
        assert codes["QRCode"] == [ordonnance.number]
        assert ordonnance.number is not None and " ".join(
            ordonnance.number[i:i + 4] for i in range(0, 16, 4)) in text
        assert PAPER_ONLY not in text
    else:
        assert "QRCode" not in codes and "N° d'ordonnance" not in text
        assert PAPER_ONLY in text and "ne porte ni numéro ni QR code" in text
    if ordonnance.is_bizone:
        assert "Prescriptions relatives au traitement de l'affection de longue durée reconnue" in text
        assert "Prescriptions SANS RAPPORT avec l'affection de longue durée" in text


def test_the_qr_code_and_number_are_on_every_page_of_a_long_ordonnance() -> None:
    o = example_ordonnance(OrdonnanceKind.SOINS_INFIRMIERS)
    o.nursing = [NursingLine(f"Soin numéro {i} avec une consigne détaillée pour l'infirmière", times=2, duration=15,
                             at_home=True, zone=Zone.ALD if i % 2 else Zone.HORS_ALD) for i in range(40)]
    pdf = render_ordonnance_pdf(o)
    images = page_images(pdf, dpi=120)
    assert len(images) >= 2
    for image, text in zip(images, page_texts(pdf), strict=True):
        assert decode_codes(image)["QRCode"] == [o.number]
        assert "2026 1125 0001 0306" in flat(text)


def test_physiotherapy_wording_as_the_issue_writes_it() -> None:
    o = example_ordonnance(OrdonnanceKind.KINESITHERAPIE)
    o.sessions = [SessionLine("Rééducation du rachis lombaire", sessions=10, at_home=True)]
    (text,) = [flat(t) for t in page_texts(render_ordonnance_pdf(o))]
    assert "10 séances de rééducation du rachis lombaire, à domicile" in text


@pytest.mark.parametrize("kind", [OrdonnanceKind.BIOLOGIE, OrdonnanceKind.TRANSPORT])
def test_lap_app_render_prints_the_example_file(kind: OrdonnanceKind, tmp_path: Path) -> None:
    out = tmp_path / "page.pdf"
    done = subprocess.run([sys.executable, "-m", "lap_app", "render", str(example_path(kind)), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (text,) = [flat(t) for t in page_texts(out.read_bytes())]
    assert TITLES[kind] in text
