"""``lap-app pharmacy read|dispense``: the pharmacist's side, with a pharmacist's card."""

from __future__ import annotations

import argparse
import json

from lap_app.cli.circuit_options import add_circuit_options, with_card_session
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pharmacy", help=_("pharmacie : lire et délivrer une ordonnance numérique"))
    commands = parser.add_subparsers(dest="pharmacy_command", metavar="ACTION", required=True)

    read = commands.add_parser("read", help=_("lire une ordonnance par son numéro"))
    read.add_argument("number", metavar="NUMERO")
    add_circuit_options(read, "pharmacien", _read)

    dispense = commands.add_parser("dispense", help=_("enregistrer une délivrance"))
    dispense.add_argument("number", metavar="NUMERO")
    which = dispense.add_mutually_exclusive_group(required=True)
    which.add_argument("--line", type=int, metavar="N", help=_("numéro de ligne (1 = première)"))
    which.add_argument("--all", action="store_true", help=_("toutes les lignes : délivrance complète"))
    dispense.add_argument("--quantity", type=float, metavar="Q", help=_("quantité délivrée (boîtes)"))
    dispense.add_argument("--substituted", action="store_true", help=_("substitution par un générique"))
    dispense.add_argument("--complete", action="store_true", help=_("délivrance complète : clôt le numéro"))
    add_circuit_options(dispense, "pharmacien", _dispense)


def _print_view(view, as_json: bool) -> None:

    if as_json:
        print(json.dumps({"number": view.number, "status": view.status, "patient": view.patient,
                          "prescriber": view.prescriber,
                          "lines": [{"line": item.line, "text": item.text, "dosage": item.dosage,
                                     "substitution_allowed": item.substitution_allowed,
                                     "dispensed_quantity": item.dispensed_quantity} for item in view.lines]},
                         ensure_ascii=False))
        return
    print(_("Ordonnance {number} ({status})").format(number=view.number, status=view.status.label))
    print(_("Prescripteur : {name}").format(name=view.prescriber))
    print(_("Patient : {name}").format(name=view.patient))
    for item in view.lines:
        flag = "" if item.substitution_allowed else _(" [non substituable]")
        print(f"  {item.line}. {item.text}{flag}")
        if item.dosage:
            print(f"     {item.dosage}")
        if item.dispensed_quantity:
            print(_("     déjà délivré : {q:g}").format(q=item.dispensed_quantity))


def _read(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.services.pharmacy import read_prescription

    normalize_prescription_number(args.number)  # a typo is reported before the PIN is asked
    view = with_card_session(args, lambda _card, client: read_prescription(client, args.number))
    _print_view(view, args.json)
    return 0


def _dispense(args: argparse.Namespace) -> int:
    from lap_app.domain.errors import UserError
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.paths import user_data_dir
    from lap_app.services.pharmacy import dispense
    from lap_app.services.prescrit import waiting_executions_told
    from lap_app.storage.execution_journal import JOURNAL_NAME, ExecutionJournal

    normalize_prescription_number(args.number)
    if args.line is not None and args.quantity is None:
        raise UserError(_("--quantity est requis avec --line"))
    if args.quantity is not None and not 0 < args.quantity < 1e6:  # also refuses nan and inf
        raise UserError(_("Quantité invalide : {quantity} (un nombre positif de boîtes ou d'unités)").format(
            quantity=args.quantity))
    if args.line is not None and args.line < 1:
        raise UserError(_("Numéro de ligne invalide : {line} (les lignes sont numérotées à partir de 1)").format(
            line=args.line))
    lines = None if args.all else [(args.line, args.quantity, args.substituted)]
    journal = ExecutionJournal(user_data_dir() / JOURNAL_NAME)  # the prescrit's, as ``prescrit execute``
    try:  # kept in the journal until answered: a lost answer, then the same command, replays it
        with waiting_executions_told(journal):
            view = with_card_session(args, lambda _card, client: dispense(client, journal, args.number, lines,
                                                                           complete=args.all or args.complete))
    finally:
        journal.close()
    _print_view(view, args.json)
    return 0
