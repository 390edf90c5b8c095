"""``lap-app render`` end to end, as a user runs it: the example Bundle becomes a PDF whose
QR code scans; every bad input gives one French line on stderr and no file."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from render_checks import decode_codes, flat, page_images, page_texts

LAP_APP = Path(sys.executable).with_name("lap-app")
NUMBER = "2026112500004292"


def run_render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LAP_APP), "render", *args], capture_output=True, text=True, timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur : "), lines[0]
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])


@pytest.fixture(scope="module")
def example(example_bundle_path) -> dict:
    return json.loads(example_bundle_path.read_text(encoding="utf-8"))


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("page_size", ["A4", "a5"])
def test_example_bundle_renders_and_its_qr_scans(example_bundle_path, tmp_path, page_size):
    out = tmp_path / "ordonnance.pdf"
    result = run_render(str(example_bundle_path), "-o", str(out), "--format", page_size)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    pdf = out.read_bytes()
    text = flat(" ".join(page_texts(pdf)))
    for expected in ("Dr Claire MARTIN", "DUPONT Jean Émile", "RPPS : 10101234564",
                     "CHLORHYDRATE DE METFORMINE 1000 mg", "Non substituable (MTE)",
                     "PARACÉTAMOL 1000 mg", "affection de longue durée reconnue",
                     "2026 1125 0000 4292", "Paris, le 25 novembre 2026"):
        assert expected in text, expected
    assert decode_codes(page_images(pdf, dpi=200)[0])["QRCode"] == [NUMBER]
    assert not list(tmp_path.glob(".lap-render-*"))  # no temporary file left behind


def test_missing_file(tmp_path):
    out = tmp_path / "o.pdf"
    assert_one_line_error(run_render(str(tmp_path / "absent.json"), "-o", str(out)), "introuvable")
    assert not out.exists()


def test_not_json(tmp_path):
    source = tmp_path / "bad.json"
    source.write_text('{"resourceType": "Bundle",\n  oops', encoding="utf-8")
    assert_one_line_error(run_render(str(source), "-o", str(tmp_path / "o.pdf")), "JSON", "ligne 2")


def test_not_a_bundle(tmp_path, example):
    source = write_json(tmp_path / "patient.json", example["entry"][2]["resource"])
    assert_one_line_error(run_render(str(source), "-o", str(tmp_path / "o.pdf")), "Bundle", "Patient")


def test_wrong_check_digits(tmp_path, example):
    data = copy.deepcopy(example)
    data["identifier"]["value"] = "2026112500004293"
    for entry in data["entry"]:
        group = entry["resource"].get("groupIdentifier")
        if group:
            group["value"] = "2026112500004293"
    out = tmp_path / "o.pdf"
    assert_one_line_error(run_render(str(write_json(tmp_path / "b.json", data)), "-o", str(out)), "clé")
    assert not out.exists()


def test_missing_mandatory_data(tmp_path, example):
    data = copy.deepcopy(example)
    del data["entry"][2]["resource"]["birthDate"]
    out = tmp_path / "o.pdf"
    assert_one_line_error(run_render(str(write_json(tmp_path / "b.json", data)), "-o", str(out)), "naissance")
    assert not out.exists()


def test_unwritable_output(example_bundle_path, tmp_path):
    result = run_render(str(example_bundle_path), "-o", str(tmp_path / "no" / "such" / "dir.pdf"))
    assert_one_line_error(result, "Écriture impossible", "dossier inexistant")
    assert_one_line_error(run_render(str(example_bundle_path), "-o", str(tmp_path)), "est un dossier")


def test_existing_output_is_kept_when_rendering_fails(tmp_path):
    out = tmp_path / "previous.pdf"
    out.write_bytes(b"%PDF previous")
    source = tmp_path / "bad.json"
    source.write_text("[]", encoding="utf-8")
    assert_one_line_error(run_render(str(source), "-o", str(out)), "Bundle")
    assert out.read_bytes() == b"%PDF previous"


def test_unwritable_output_message_without_a_bundle(tmp_path):
    """The writing step alone (runs even before the FHIR reader exists)."""
    from lap_app.cli.render_cmd import write_atomically
    from lap_app.domain.errors import UserError

    with pytest.raises(UserError, match="dossier inexistant"):
        write_atomically(tmp_path / "absent" / "o.pdf", b"%PDF")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="le chemin traverse un fichier"):
        write_atomically(blocker / "o.pdf", b"%PDF")
    write_atomically(tmp_path / "o.pdf", b"%PDF-1.4")
    assert (tmp_path / "o.pdf").read_bytes() == b"%PDF-1.4"
    assert not list(tmp_path.glob(".lap-render-*"))
