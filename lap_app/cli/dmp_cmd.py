"""``lap-app dmp list|get|status``: the patients' copies in the DMP, as a professional sees them."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path

from lap_app.cli.circuit_options import add_circuit_options, flush_with_card, with_card_session
from lap_app.cli.output_files import check_output_path, write_atomically
from lap_app.domain.errors import UserError
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dmp", help=_("copies des ordonnances dans le DMP des patients"))
    commands = parser.add_subparsers(dest="dmp_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help=_("documents du DMP d'un patient (carte de professionnel)"))
    listing.add_argument("ins", nargs="+", metavar="INS",
                         help=_("INS du patient (15 caractères, espaces permis), ou plusieurs INS"))
    add_circuit_options(listing, "medecin", _list)

    get = commands.add_parser("get", help=_("enregistrer le PDF d'un document du DMP"))
    get.add_argument("document", metavar="DOCUMENT", help=_("identifiant du document ou numéro d'ordonnance"))
    get.add_argument("-o", "--output", required=True, metavar="OUT.pdf")
    add_circuit_options(get, "medecin", _get, json_help=None)

    status = commands.add_parser("status", help=_("où en sont les copies DMP de vos ordonnances"))
    status.add_argument("--flush", action="store_true", help=_("classer maintenant celles en attente (carte requise)"))
    add_circuit_options(status, "medecin", _status)


def _ins_list(words: list[str]) -> list[str]:
    """One INS typed with spaces ("1 58 03 …"), or several INS of 15 characters each."""
    from lap_app.domain.identifiers import nir_problem, normalize_nir

    separate = [normalize_nir(w) for w in words]
    candidates = separate if len(words) > 1 and all(len(w) == 15 for w in separate) else [normalize_nir("".join(words))]
    for ins in candidates:
        problem = nir_problem(ins)
        if problem:
            raise UserError(_("INS invalide : {problem}").format(problem=problem)
                            + (f" ({ins})" if len(candidates) > 1 else ""))
    return candidates


def _refusal(error) -> UserError:
    return UserError(_("DMP : {reason}").format(reason=error.reason))


def _list(args: argparse.Namespace) -> int:
    from lap_app.base_client import BaseRefused
    from lap_app.base_client.dmp import DmpClient
    from lap_app.domain.identifiers import format_prescription_number

    patients = _ins_list(args.ins)
    found: list[tuple[str, list]] = []

    def look_up(_card, client) -> None:
        try:
            for ins in patients:
                found.append((ins, DmpClient(client).documents(ins)))
        except BaseRefused as error:
            raise _refusal(error) from None

    with_card_session(args, look_up)
    if args.json:
        print(json.dumps({"patients": [{"patient": ins, "documents": [
            {"id": d.document_id, "number": d.number, "author": d.author, "author_name": d.author_name,
             "title": d.title, "date": d.date, "size": d.size} for d in documents]} for ins, documents in found]},
            ensure_ascii=False))
        return 0
    for ins, documents in found:
        if len(found) > 1:
            print(_("Patient {ins} :").format(ins=ins))
        if not documents:
            print(_("Aucun document dans le DMP du patient {ins}.").format(ins=ins))
        for d in documents:
            filed = datetime.fromtimestamp(d.filed_at).strftime("%d/%m/%Y %H:%M")
            print(_("{filed}  {number}  {author}  {size} octets  [{id}]").format(
                filed=filed, number=format_prescription_number(d.number), author=d.author_name or d.author,
                size=d.size, id=d.document_id))
    return 0


def _get(args: argparse.Namespace) -> int:
    from lap_app.base_client import BaseRefused
    from lap_app.base_client.dmp import DmpClient
    from lap_app.domain.identifiers import is_valid_prescription_number, normalize_prescription_number

    output = Path(args.output)
    check_output_path(output)  # the arguments first: nothing is looked up for a command that cannot finish
    document_id = args.document
    if re.fullmatch(r"[\d\s]+", args.document):  # a prescription number, typed or scanned
        digits = normalize_prescription_number(args.document)
        if not is_valid_prescription_number(digits):
            raise UserError(_("Numéro d'ordonnance invalide : vérifiez les 16 chiffres."))
        document_id = _local_document_id(digits)

    def fetch(_card, client) -> bytes:
        try:
            return DmpClient(client).pdf(document_id)
        except BaseRefused as error:
            raise _refusal(error) from None

    pdf = with_card_session(args, fetch)
    write_atomically(output, pdf)
    print(_("Document {id} enregistré : {path}").format(id=document_id, path=output))
    return 0


def _local_document_id(number: str) -> str:
    """DMP ids are opaque: a number leads to a document only through this workstation's copy."""
    from lap_app.storage import LocalStore
    from lap_app.storage.dmp_filings import DmpFilings

    store = LocalStore()
    try:
        document_id = DmpFilings(store).document_id_of_number(number)
    finally:
        store.close()
    if document_id is None:
        raise UserError(_("Aucune copie DMP de cette ordonnance sur ce poste : donnez l'identifiant du document "
                          "(affiché par « lap-app dmp list INS »)."))
    return document_id


def _status(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import format_prescription_number
    from lap_app.services.dmp import DmpState, copies_waiting
    from lap_app.storage import LocalStore
    from lap_app.storage.dmp_filings import DmpFilings

    store = LocalStore()
    try:
        report = None
        if args.flush and (store.outbox() or copies_waiting(store)):
            report = _flush(args, store)
        rows = [(f, store.get(f.ordonnance_id)) for f in DmpFilings(store).all()]
    finally:
        store.close()
    if args.json:
        out: dict = {"copies": [{"number": o.number if o else None, "patient": o.patient_name if o else None,
                                 "state": f.state, "detail": f.last_error, "attempts": f.attempts} for f, o in rows]}
        if report is not None:
            out.update(filed=report.filed, not_filed=report.not_filed, waiting=report.waiting, error=report.error)
        print(json.dumps(out, ensure_ascii=False))
        return 0 if report is None or report.error is None else 1
    if report is not None and report.error:
        print(_("Erreur : classement interrompu, les copies restent en attente : {error}").format(
            error=report.error), file=sys.stderr)
    if not rows:
        print(_("Aucune copie DMP."))
    for filing, ordonnance in rows:
        print(_("{number} — {patient} : {state}").format(
            number=format_prescription_number(ordonnance.number) if ordonnance and ordonnance.number else "?", patient=ordonnance.patient_name if ordonnance else "?",
            state=DmpState(filing.state, filing.last_error).label))
    return 0 if report is None or report.error is None else 1


def _flush(args: argparse.Namespace, store):
    """The outbox first (a copy follows its registration), then the copies: the DMP part of it."""
    from lap_app.services.dmp import DmpReport

    report = flush_with_card(args, store)
    return report.dmp if report.dmp is not None else DmpReport(waiting=report.waiting, error=report.error)
