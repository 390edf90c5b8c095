"""Prescriber commands: ``enrol``, ``prescribe``, ``dispensing``, ``outbox`` (headless)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lap_app.cli.circuit_options import (
    add_circuit_options,
    endpoint,
    flush_with_card,
    unlocked_card,
    with_card_session,
)
from lap_app.cli.output_files import OutputReservation, check_output_path
from lap_app.domain.errors import UserError
from lap_app.i18n import _

PDF_ROOM = 2 * 1024 * 1024  # an ordonnance's PDF is 20-200 kB; several pages stay far below


def register(subparsers: argparse._SubParsersAction) -> None:
    enrol = subparsers.add_parser("enrol", help=_("enrôler cette installation auprès de la base (carte de médecin)"))
    add_circuit_options(enrol, "medecin", _enrol, json_help=None)
    enrol.add_argument("--name", help=_("nom de l'installation (défaut : LAP <machine>)"))
    enrol.add_argument("--force", action="store_true", help=_("ré-enrôler même si déjà enrôlée"))

    prescribe = subparsers.add_parser("prescribe", help=_("signer, enregistrer et imprimer une ordonnance"),
                                      allow_abbrev=False)  # « --pin 1234 » must not read as --pin-stdin
    prescribe.add_argument("bundle", metavar="BUNDLE.json", nargs="+",
                           help=_("ordonnance(s) brouillon (Bundle FHIR), plusieurs pour une même consultation "
                                  "(médicaments, biologie, soins…) : une validation, un code PIN, un seul PDF"))
    prescribe.add_argument("--opposition", action="store_true",
                           help=_("le patient s'oppose à la consultation de la délivrance par le prescripteur"))
    prescribe.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help=_("PDF de l'ordonnance"))
    prescribe.add_argument("--page-size", choices=("A4", "A5"), default="A4")
    prescribe.add_argument("--acknowledge", action="append", default=[], metavar="ALERTE",
                           help=_("signer malgré cette contre-indication ou allergie, en connaissance de cause "
                                  "(identifiant affiché avec l'alerte, ex. CI-3f9a2c ; option répétable)"))
    prescribe.add_argument("--allergy", action="append", default=[], metavar="SUBSTANCE",
                           help=_("allergie du patient, vérifiée avec les lignes en plus de celles de son dossier "
                                  "au cabinet (option répétable)"))
    add_circuit_options(prescribe, "medecin", _prescribe, json_help=_("résultat en JSON (number, status)"))

    dispensing = subparsers.add_parser("dispensing", help=_("suivre l'exécution d'une de vos ordonnances (tout type, ajustements compris)"))
    dispensing.add_argument("number", metavar="NUMERO")
    add_circuit_options(dispensing, "medecin", _dispensing)

    outbox = subparsers.add_parser("outbox", help=_("ordonnances en attente d'envoi à la base"))
    outbox.add_argument("--flush", action="store_true", help=_("les envoyer maintenant (carte requise)"))
    add_circuit_options(outbox, "medecin", _outbox)


def _enrol(args: argparse.Namespace) -> int:
    from lap_app.services.enrolment import enrol

    target = endpoint(args)
    card = unlocked_card(args)
    with card:
        result = enrol(target, card, name=args.name, force=args.force)
    if result.warning:
        print(_("Attention : {warning}").format(warning=result.warning), file=sys.stderr)
    if result.already:
        print(_("Installation déjà enrôlée ({id}).").format(id=result.credential.installation_id))
    else:
        print(_("Installation enrôlée : {id}").format(id=result.credential.installation_id))
    return 0


def _load_draft(path: str):
    from lap_app.cli.render_cmd import read_bundle_json  # the same French messages as ``render``
    from lap_app.fhir import from_bundle

    return from_bundle(read_bundle_json(Path(path)))


def _prescribe(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import format_prescription_number
    from lap_app.drugs import open_drug_database
    from lap_app.services.base_connection import open_client
    from lap_app.services.consultation import prescribe_consultation
    from lap_app.services.practice import require_practice
    from lap_app.services.safety import UnacknowledgedAlerts, require_acknowledged, review
    from lap_app.services.shared_practice import settings_with_shared_practice
    from lap_app.settings import load_settings
    from lap_app.storage import LocalStore

    ordonnances = [_load_draft(path) for path in args.bundle]
    settings = settings_with_shared_practice(load_settings())  # a practice server's address, phone…
    patient = _patient_facts(ordonnances, args.allergy)
    # Before the PIN, the refusals the service would make at signing time (it checks again).
    require_practice(settings.practice)
    target = endpoint(args)
    output = Path(args.output)
    check_output_path(output)  # a typo in -o must not cost the PDF
    with open_drug_database() as drugs:
        alerts = []
        try:
            for ordonnance in ordonnances:
                alerts += require_acknowledged(review(drugs, ordonnance, patient), args.acknowledge)
        except UnacknowledgedAlerts as refused:
            _print_alerts(refused)
            return 1
        for unknown in dict.fromkeys(set(args.acknowledge) - {alert.alert_id for alert in alerts}):
            print(_("Attention : aucune alerte « {id} » sur cette ordonnance (option --acknowledge ignorée)").format(
                id=unknown), file=sys.stderr)
        card = unlocked_card(args)
        # The PDF's room on the disk is taken before anything is signed or sent: a disk that fills
        # up meanwhile cannot leave a registered ordonnance without its PDF.
        reservation = OutputReservation(output, PDF_ROOM * len(ordonnances))
        try:
            store = LocalStore()
            try:
                with card, open_client(target) as client:
                    consultation = prescribe_consultation(
                        ordonnances, card=card, client=client, store=store, opposition=args.opposition,
                        page_size=args.page_size, practice=settings.practice, patient=patient,
                        acknowledged=args.acknowledge, drugs=drugs)
            finally:
                store.close()
        except BaseException:
            reservation.release()
            raise
    outcomes = consultation.outcomes
    try:
        reservation.fill(consultation.pdf)
    except UserError as error:  # signed and kept (or queued) all the same: say so, with the numbers
        raise UserError(_("{error} ; l'ordonnance {number} est conservée dans l'historique ({status})").format(
            error=error.message, number=", ".join(o.number or _("(sans numéro)") for o in outcomes),
            status=", ".join(o.status.label for o in outcomes))) from None
    acknowledged = list(dict.fromkeys(args.acknowledge))
    results: list[dict[str, Any]] = [{"number": o.number, "status": o.status, "pdf": str(output), "message": o.message,
                                      "dmp": o.dmp_message, "acknowledged": acknowledged} for o in outcomes]
    # stopped midway: the files not made are named, so that a retry is given only those
    left = list(zip(args.bundle[len(outcomes):], consultation.not_made, strict=True))
    results += [{"number": None, "status": "not_made", "file": path, "message": missing.reason}
                for path, missing in left]
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, ensure_ascii=False))
        return 0 if consultation.complete else 1
    for outcome in outcomes:
        shown = format_prescription_number(outcome.number) if outcome.number else _("(sans numéro)")
        print(_("Ordonnance {number} : {status}").format(number=shown, status=outcome.status.label))
        if outcome.message:
            print(outcome.message, file=sys.stderr)
        if outcome.dmp_message:
            print(outcome.dmp_message)
    for path, missing in left:
        print(_("Erreur : ordonnance {file} non faite : {reason}").format(file=path, reason=missing.reason),
              file=sys.stderr)
    if left:
        print(_("Les ordonnances ci-dessus sont faites ; relancez la commande avec seulement : {files}").format(
            files=" ".join(path for path, _missing in left)), file=sys.stderr)
    return 0 if consultation.complete else 1


def _patient_facts(ordonnances: list[Any], allergies: list[str]):
    """What the checks know of the patient: the practice's record when the patient is known
    there (by INS), as in the GUI, plus the ``--allergy`` given."""
    from lap_app.services.ordonnance_builder import recorded_patient_facts
    from lap_app.services.patients import PatientService
    from lap_app.services.safety import PatientFacts
    from lap_app.storage import connect, default_store_path

    connection = connect(default_store_path())
    try:
        patients = PatientService(connection)
        facts = [recorded_patient_facts(patients, o.patient, allergies) for o in ordonnances]
    finally:
        connection.close()
    return PatientFacts(allergies=tuple(dict.fromkeys(a for f in facts for a in f.allergies)),
                        current_cis=tuple(dict.fromkeys(c for f in facts for c in f.current_cis)))


def _print_alerts(refused) -> None:
    """Each alert to acknowledge, with its id and how to acknowledge it (stderr: the refusal)."""
    print(_("Erreur : ordonnance non signée, à confirmer en connaissance de cause :"), file=sys.stderr)
    for alert in refused.alerts:
        print(f"  [{alert.alert_id}] {alert.text()}", file=sys.stderr)
    ids = " ".join(f"--acknowledge {alert.alert_id}" for alert in refused.alerts)
    print(_("Pour signer malgré tout, relancez la commande avec : {options}").format(options=ids), file=sys.stderr)


def _dispensing(args: argparse.Namespace) -> int:
    """The prescriber's follow-up of an ordonnance of any kind (executions, adjustments), or the
    statement that the patient objected."""
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.services.follow_up import consult_follow_up
    from lap_app.storage import LocalStore

    normalize_prescription_number(args.number)  # a typo is reported before the PIN is asked
    store = LocalStore()
    try:
        view = with_card_session(args, lambda _card, client: consult_follow_up(client, args.number, store))
    finally:
        store.close()
    if args.json:
        print(json.dumps(view.as_json(), ensure_ascii=False))
    else:
        print("\n".join(view.text_lines()))
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from lap_app.services.dmp import copies_waiting
    from lap_app.services.outbox import expiring_entries
    from lap_app.storage import LocalStore

    store = LocalStore()
    try:
        report = None
        if args.flush and (store.outbox() or copies_waiting(store)):  # (DMP copies follow the outbox)
            report = flush_with_card(args, store)
        entries = store.outbox()
        rows = [(e, store.get(e.ordonnance_id)) for e in entries]
        expiring = expiring_entries(store)
    finally:
        store.close()
    for item in expiring:  # before anything else: a printed QR code is about to die
        print(_("Attention : {warning}").format(warning=item.warning()), file=sys.stderr)
    if args.json:
        out: dict[str, Any] = {
            "waiting": [{"number": e.number, "attempts": e.attempts, "last_error": e.last_error,
                         "patient": o.patient_name if o else None} for e, o in rows],
            "expiring": [{"number": e.number, "patient": e.patient, "deadline": e.deadline} for e in expiring]}
        if report is not None:
            out.update(registered=report.registered, refused=report.refused, error=report.error)
            if report.dmp is not None:
                out["dmp"] = {"filed": report.dmp.filed, "not_filed": report.dmp.not_filed,
                              "waiting": report.dmp.waiting, "error": report.dmp.error}
        print(json.dumps(out, ensure_ascii=False))
        return 0 if report is None or report.error is None else 1
    if report is not None:
        for number in report.registered:
            print(_("Enregistrée : {number}").format(number=number))
        for number, reason in report.refused.items():
            print(_("Refusée : {number} ({reason})").format(number=number, reason=reason))
        if report.error:
            print(_("Erreur : envoi interrompu, les ordonnances restent en attente : {error}").format(
                error=report.error), file=sys.stderr)
        for number in report.dmp.filed if report.dmp is not None else []:
            print(_("Copie classée dans le DMP : {number}").format(number=number))
    if not rows:
        print(_("Aucune ordonnance en attente d'envoi."))
    for entry, ordonnance in rows:
        print(_("En attente : {number} — {patient} ({attempts} essai(s))").format(
            number=entry.number, patient=ordonnance.patient_name if ordonnance else "?", attempts=entry.attempts))
    return 0 if report is None or report.error is None else 1
