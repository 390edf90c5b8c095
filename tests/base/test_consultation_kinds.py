"""One consultation, several kinds, against the real base over TLS: one validation, one card
session, a number per registered ordonnance read back by the base, every page in one PDF;
imaging printed only and refused by the client if offered to the base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lap_app.demo.kind_samples import fill_with_sample_lines
from lap_app.domain.errors import ValidationError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import new_resource_id

from circuit_support import EXAMPLE_BUNDLE, card_in_hand, cli_env, on_both_engines, run_cli

# The tests through the services run on a base (and a practice store) over SQLite and over
# PostgreSQL: several registrations of several kinds in one consultation, the store's rows after a
# stop midway. The command-line tests stay on SQLite: they exercise the command, and its store is
# the workstation's own file.


def _draft(kind: OrdonnanceKind):  # type: ignore[no-untyped-def]
    from lap_app.fhir import from_bundle

    o = from_bundle(json.loads(EXAMPLE_BUNDLE.read_text(encoding="utf-8")))
    o.composition_id = new_resource_id()
    return o if kind is OrdonnanceKind.MEDICAMENTS else fill_with_sample_lines(o, kind)


@pytest.fixture
def store(store_beside_base):  # type: ignore[no-untyped-def]
    return store_beside_base


def _pages(pdf: bytes) -> list[tuple[list[str], str]]:
    import io

    import pypdf
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = [page.render(scale=150 / 72).to_pil() for page in document]
    finally:
        document.close()
    texts = [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    return [([r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode], text)
            for image, text in zip(images, texts, strict=True)]


@on_both_engines
def test_medicines_biology_nursing_and_imaging_in_one_consultation(enrolled, pki_dir, store) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.consultation import prescribe_consultation

    kinds = [OrdonnanceKind.MEDICAMENTS, OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS,
             OrdonnanceKind.IMAGERIE]
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        done = prescribe_consultation([_draft(k) for k in kinds], card=card, client=client, store=store)
        numbers = done.numbers
        assert [o.status for o in done.outcomes] == ["registered", "registered", "registered", "paper"]
        assert numbers[3] is None and len(set(numbers[:3])) == 3
        open_token(card, client)
        for number in numbers[:3]:  # the base knows each one
            assert client.status(number or "") == "registered"
    pages = _pages(done.pdf)
    assert [qr for qr, _text in pages] == [[numbers[0]], [numbers[1]], [numbers[2]], []]
    assert "ORDONNANCE D'ANALYSES DE BIOLOGIE MÉDICALE" in pages[1][1]
    assert "ORDONNANCE DE SOINS INFIRMIERS" in pages[2][1]
    assert "ne porte ni numéro ni QR code" in pages[3][1]


@on_both_engines
def test_one_invalid_ordonnance_stops_them_all_before_any_number(enrolled, pki_dir, store) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.base_connection import open_client
    from lap_app.services.consultation import prescribe_consultation

    physio = _draft(OrdonnanceKind.KINESITHERAPIE)
    physio.sessions[0].sessions = None
    biology = _draft(OrdonnanceKind.BIOLOGIE)
    biology.analyses[0].code = "0246"  # closed in 2014
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        with pytest.raises(ValidationError) as refused:
            prescribe_consultation([_draft(OrdonnanceKind.MEDICAMENTS), physio, biology], card=card,
                                   client=client, store=store)
    rendered = [p.render() for p in refused.value.problems]
    assert "ordonnances[1].sessions[0].sessions : Masso-kinésithérapie — nombre de séances manquant" in rendered
    assert ("ordonnances[2].analyses[0].code : Biologie médicale — code NABM 0246 fermé depuis le 04/09/2014 : "
            "il ne peut plus être prescrit") in rendered
    assert store.outbox() == [] and store.available_numbers("810101234564") == 0


def test_the_client_never_sends_imaging_to_the_base(enrolled, pki_dir) -> None:  # type: ignore[no-untyped-def]
    from lap_app.base_client.errors import PaperOnlyOrdonnance
    from lap_app.fhir import to_bundle
    from lap_app.services.base_connection import open_client

    imaging = _draft(OrdonnanceKind.IMAGERIE)
    imaging.number = "2026112500004292"
    with open_client(enrolled) as client, pytest.raises(PaperOnlyOrdonnance) as refused:
        client.register("2026112500004292", to_bundle(imaging))
    assert "n'est pas enregistrée dans la base" in refused.value.message


def test_cli_prescribes_a_consultation_into_one_pdf(base, pki_dir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lap_app.fhir import to_bundle

    paths = []
    for kind in (OrdonnanceKind.BIOLOGIE, OrdonnanceKind.KINESITHERAPIE):
        path = tmp_path / f"{kind.value}.json"
        path.write_text(json.dumps(to_bundle(_draft(kind)), ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    card = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    assert run_cli(["enrol", *card], env).returncode == 0
    out = tmp_path / "consultation.pdf"
    done = run_cli(["prescribe", *paths, "-o", str(out), "--json", *card], env, timeout=180)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["status"] for r in results] in (["registered", "registered"], ["waiting", "waiting"])
    pages = _pages(out.read_bytes())
    assert [qr for qr, _t in pages] == [[results[0]["number"]], [results[1]["number"]]]


class _CardThatFails:
    """The test's real card, until its ``fail_at``-th signature: then ``fault`` happens —
    "refused" signs with a wrong value (the base refuses the ordonnance), "pulled" takes the
    card out of the reader (the card layer's own error)."""

    def __init__(self, card: object, fault: str, fail_at: int = 2) -> None:
        self._card, self._fault, self._left = card, fault, fail_at

    def __getattr__(self, name: str) -> object:
        return getattr(self._card, name)

    def sign_digest(self, digest: bytes, **options: object) -> bytes:
        self._left -= 1
        if self._left == 0 and self._fault == "pulled":
            from lap_app.card.virtual_reader import default_virtual_reader

            default_virtual_reader().remove()
        signature: bytes = self._card.sign_digest(digest, **options)  # type: ignore[attr-defined]
        return bytes(b ^ 0xFF for b in signature) if self._left == 0 else signature


def _rows(store, status: str) -> int:  # type: ignore[no-untyped-def]
    return store.conn.execute("SELECT count(*) FROM ordonnances WHERE status = ?", (status,)).fetchone()[0]


@on_both_engines
@pytest.mark.parametrize("fault", ["refused", "pulled"])
def test_consultation_stopped_midway_keeps_what_is_made_and_a_retry_makes_only_the_rest(
        fault: str, enrolled, pki_dir, store) -> None:  # type: ignore[no-untyped-def]
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token
    from lap_app.services.consultation import combined, prescribe_consultation, remaining

    kinds = [OrdonnanceKind.MEDICAMENTS, OrdonnanceKind.BIOLOGIE, OrdonnanceKind.SOINS_INFIRMIERS]
    drafts = [_draft(k) for k in kinds]
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        first = prescribe_consultation(drafts, card=_CardThatFails(card, fault), client=client, store=store)
        assert not first.complete and first.kinds == [OrdonnanceKind.MEDICAMENTS]
        assert [o.status for o in first.outcomes] == ["registered"]
        assert [m.kind for m in first.not_made] == kinds[1:]
        expected = "signature invalide" if fault == "refused" else "carte"
        assert expected in first.not_made[0].reason.lower()
        assert "pas encore faite" in first.not_made[1].reason
        summary = first.summary()
        assert "1 ordonnance(s) faite(s), 2 non faite(s)" in summary
        assert "Biologie médicale : NON FAITE" in summary and "Soins infirmiers : NON FAITE" in summary
        assert [qr for qr, _text in _pages(first.pdf)] == [[first.numbers[0]]]  # only what is made is printed

    # the card back in the reader (or a good signature): the retry makes the two missing ones only
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        second = prescribe_consultation(remaining(drafts, first), card=card, client=client, store=store)
        whole = combined(first, second)
        assert whole.complete and whole.kinds == kinds
        assert [o.status for o in whole.outcomes] == ["registered"] * 3 and len(set(whole.numbers)) == 3
        open_token(card, client)
        for number in whole.numbers:
            assert client.status(number or "") == "registered"
    assert _rows(store, "registered") == 3  # no ordonnance twice
    assert _rows(store, "rejected") == (1 if fault == "refused" else 0)  # the refused one stays in the history
    assert [qr for qr, _text in _pages(whole.pdf)] == [[n] for n in whole.numbers]


@on_both_engines
def test_the_patients_physiological_state_and_ald_are_registered_with_the_ordonnance(
        enrolled, pki_dir, store) -> None:  # type: ignore[no-untyped-def]
    """The base reads every Observation of the Bundle (an unknown one is refused): a pregnant
    patient in ALD with her creatinine is registered, and the stored Bundle carries them back."""
    from datetime import date

    from lap_app.domain.model import Creatinine, Sex
    from lap_app.fhir import from_bundle
    from lap_app.services.base_connection import open_client
    from lap_app.services.consultation import prescribe_consultation

    drafts = [_draft(OrdonnanceKind.BIOLOGIE), _draft(OrdonnanceKind.SOINS_INFIRMIERS)]
    for draft in drafts:
        draft.patient.sex, draft.patient.pregnant, draft.patient.pregnancy_weeks = Sex.FEMALE, True, 28
        draft.patient.creatinine = Creatinine(54, "µmol/L", date(2026, 10, 2))
        draft.patient.ald = True
    with card_in_hand("medecin", pki_dir) as card, open_client(enrolled) as client:
        done = prescribe_consultation(drafts, card=card, client=client, store=store)
    assert [o.status for o in done.outcomes] == ["registered", "registered"]
    for number in done.numbers:
        patient = from_bundle(store.by_number(number or "").bundle).patient
        assert (patient.pregnant, patient.pregnancy_weeks, patient.ald) == (True, 28, True)
        assert patient.creatinine == Creatinine(54, "µmol/L", date(2026, 10, 2))
    texts = [text for _qr, text in _pages(done.pdf)]
    assert all("affection de longue durée reconnue" in text for text in texts)  # bizone: the patient is in ALD


def test_cli_stopped_midway_names_the_files_not_made_and_keeps_the_pdf_of_the_others(
        base, pki_dir, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """``lap-app prescribe`` in this process, its card refusing at the second signature: the
    first file is registered and printed, the second named with the reason, exit status 1."""
    from lap_app.cli import prescribe_cmd
    from lap_app.cli.main import main
    from lap_app.fhir import to_bundle

    paths = []
    for kind in (OrdonnanceKind.BIOLOGIE, OrdonnanceKind.KINESITHERAPIE):
        path = tmp_path / f"{kind.value}.json"
        path.write_text(json.dumps(to_bundle(_draft(kind)), ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    env = cli_env(tmp_path / "data", tmp_path / "config", base)
    card_options = ["--virtual", "--pki", str(pki_dir), "--pin-stdin"]
    assert run_cli(["enrol", *card_options], env).returncode == 0
    for name in ("LAP_DATA_DIR", "LAP_CONFIG_DIR", "LAP_BASE_URL", "LAP_BASE_CA", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.setenv(name, env[name])
    out = tmp_path / "consultation.pdf"
    with card_in_hand("medecin", pki_dir) as card:
        failing = _CardThatFails(card, "refused")
        monkeypatch.setattr(prescribe_cmd, "unlocked_card", lambda _args: _ClosedByCaller(failing))
        status = main(["prescribe", *paths, "-o", str(out), "--virtual", "--pki", str(pki_dir)])
    printed = capsys.readouterr()
    assert status == 1
    assert f"Erreur : ordonnance {paths[1]} non faite : Ordonnance refusée par la base" in printed.err
    assert f"relancez la commande avec seulement : {paths[1]}" in printed.err
    made = [line for line in printed.out.splitlines() if line.startswith("Ordonnance ")]
    assert len(made) == 1 and made[0].endswith(": enregistrée")
    pages = _pages(out.read_bytes())
    assert len(pages) == 1 and len(pages[0][0]) == 1  # the registered one's page, with its QR code
    assert "ORDONNANCE D'ANALYSES DE BIOLOGIE MÉDICALE" in pages[0][1]


class _ClosedByCaller:
    """The card as the command uses it (``with card:``), left open for the test that lent it."""

    def __init__(self, card: object) -> None:
        self._card = card

    def __getattr__(self, name: str) -> object:
        return getattr(self._card, name)

    def __enter__(self) -> _ClosedByCaller:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
