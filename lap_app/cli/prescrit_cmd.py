"""``lap-app prescrit read|execute``: every prescrit (lab, nurse, physiotherapist, device
supplier, pharmacy) with its own card reads an ordonnance of its kind and records what it did."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid
from typing import Any

from lap_app.cli.circuit_options import add_base_options, add_card_options
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prescrit", help=_("prescrit : lire une ordonnance et enregistrer son exécution"))
    commands = parser.add_subparsers(dest="prescrit_command", metavar="ACTION", required=True)

    read = commands.add_parser("read", help=_("lire une ordonnance par son numéro"))
    read.add_argument("number", metavar="NUMERO")
    read.add_argument("--json", action="store_true")
    add_base_options(read)
    add_card_options(read, "infirmier")
    read.set_defaults(func=_read)

    execute = commands.add_parser("execute", help=_("enregistrer l'exécution d'une ligne"))
    execute.add_argument("number", metavar="NUMERO")
    execute.add_argument("--line", type=int, metavar="N", required=True, help=_("numéro de ligne (1 = première)"))
    execute.add_argument("--count", type=int, default=1, metavar="N",
                         help=_("séances, visites, actes, analyses ou unités réalisés"))
    execute.add_argument("--quantity", type=float, metavar="Q", help=_("médicaments : boîtes délivrées"))
    execute.add_argument("--not-done", metavar="MOTIF", help=_("acte non réalisé, avec son motif"))
    execute.add_argument("--date", type=dt.date.fromisoformat, metavar="AAAA-MM-JJ", help=_("jour de réalisation"))
    execute.add_argument("--act", metavar="ACTE", help=_("soins : l'acte réalisé"))
    execute.add_argument("--supply", choices=("achat", "location"), help=_("dispositif : achat ou location"))
    execute.add_argument("--complete", action="store_true", help=_("exécution terminée : clôt le numéro"))
    execute.add_argument("--json", action="store_true")
    add_base_options(execute)
    add_card_options(execute, "infirmier")
    execute.set_defaults(func=_execute)


def _print_view(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({key: view[key] for key in ("number", "kind", "status", "lines", "executions", "adjustments")
                          if key in view}, ensure_ascii=False))
        return
    print(_("Ordonnance {number} ({kind}, {status})").format(number=view["number"], kind=view["kind"],
                                                            status=view["status"]))
    for line in view["lines"]:
        prescribed = "" if line["prescribed"] is None else _(" sur {n:g}").format(n=line["prescribed"])
        print(f"  {line['line']}. {line['text']}")
        print(_("     réalisé : {done:g}{prescribed}").format(done=line["done"], prescribed=prescribed))


def _session(args: argparse.Namespace):
    from lap_app.cli.pharmacy_cmd import _session as pharmacy_session

    return pharmacy_session(args)


def _read(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import normalize_prescription_number

    normalize_prescription_number(args.number)  # a typo is reported before the PIN is asked
    card, client = _session(args)
    with card, client:
        view = client.prescrit_read(args.number)
    _print_view(view, args.json)
    return 0


def _execute(args: argparse.Namespace) -> int:
    from lap_app.domain.errors import UserError
    from lap_app.domain.identifiers import normalize_prescription_number

    normalize_prescription_number(args.number)
    if args.line < 1:
        raise UserError(_("Numéro de ligne invalide : {line} (les lignes sont numérotées à partir de 1)").format(
            line=args.line))
    line: dict[str, Any] = {"line": args.line, "count": args.count}
    if args.quantity is not None:
        line["quantity"] = args.quantity
    if args.not_done:
        line.update(done=False, reason=args.not_done)
    for key in ("act", "supply"):
        if getattr(args, key):
            line[key] = getattr(args, key)
    if args.date:
        line["date"] = args.date.isoformat()
    card, client = _session(args)
    with card, client:  # one id for this command: the client's retries replay it
        view = client.prescrit_execute(args.number, uuid.uuid4().hex, [line], args.complete)
    _print_view(view, args.json)
    return 0
