"""``lap-app prescrit read|execute|adjust``: every prescrit (lab, nurse, physiotherapist, device
supplier, pharmacy) with its own card reads an ordonnance of its kind, records what it did and
adjusts a line with the prescriber's agreement (lap_app/services/prescrit.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from lap_app.base_client.protocol import AGREEMENT_MODES
from lap_app.cli.circuit_options import add_circuit_options, with_card_session
from lap_app.domain.errors import UserError
from lap_app.i18n import _

# option → the protocol's field of an adjustment
CHANGE_OPTIONS = {"dose": "dose", "form": "forme", "quantity": "quantite", "sessions": "seances", "product": "produit"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prescrit", help=_("prescrit : lire une ordonnance et enregistrer son exécution"))
    commands = parser.add_subparsers(dest="prescrit_command", metavar="ACTION", required=True)

    read = commands.add_parser("read", help=_("lire une ordonnance par son numéro"))
    read.add_argument("number", metavar="NUMERO")
    add_circuit_options(read, "infirmier", _read)

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
    add_circuit_options(execute, "infirmier", _execute)

    adjust = commands.add_parser("adjust", help=_("ajuster une ligne avec l'accord du prescripteur"))
    adjust.add_argument("number", metavar="NUMERO")
    adjust.add_argument("--line", type=int, metavar="N", required=True, help=_("numéro de ligne (1 = première)"))
    adjust.add_argument("--dose", metavar=_("VALEUR"), help=_("nouvelle dose"))
    adjust.add_argument("--form", metavar=_("VALEUR"), help=_("nouvelle forme"))
    adjust.add_argument("--quantity", metavar=_("VALEUR"), help=_("nouvelle quantité (nombre)"))
    adjust.add_argument("--sessions", metavar=_("VALEUR"), help=_("nouveau nombre de séances"))
    adjust.add_argument("--product", metavar=_("VALEUR"), help=_("produit qui remplace celui prescrit"))
    adjust.add_argument("--agreement", choices=AGREEMENT_MODES, required=True,
                        help=_("comment l'accord du prescripteur a été obtenu"))
    adjust.add_argument("--agreed-at", type=_moment, metavar="AAAA-MM-JJTHH:MM", required=True,
                        help=_("quand l'accord a été obtenu (heure locale)"))
    adjust.add_argument("--agreed-by", metavar="NOM", required=True,
                        help=_("qui l'a donné (le prescripteur, son remplaçant…)"))
    add_circuit_options(adjust, "infirmier", _adjust)


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("date et heure attendues, par exemple 2026-12-02T09:30")) from None


def _print_view(view: Any, as_json: bool) -> None:
    """``view``: the prescrit service's ``PrescritView``."""
    if as_json:
        print(json.dumps(view.json_summary(), ensure_ascii=False))
        return
    print(_("Ordonnance {number} ({kind}, {status})").format(number=view.number, kind=view.kind.label,
                                                            status=view.status.label))
    for line in view.lines:
        print(f"  {line.line}. {line.text}")
        print(_("     réalisé : {progress}").format(progress=line.progress))
    for adjustment in view.adjustments:
        print(_("  ajustement ligne {line} : {what}").format(line=adjustment.line, what=adjustment.describe()))


def _read(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.services.prescrit import read_ordonnance

    normalize_prescription_number(args.number)  # a typo is reported before the PIN is asked
    view = with_card_session(args, lambda _card, client: read_ordonnance(client, args.number))
    _print_view(view, args.json)
    return 0


def _execute(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.paths import user_data_dir
    from lap_app.services.prescrit import LineExecution, check_line_number, send_execution, waiting_executions_told
    from lap_app.storage.execution_journal import JOURNAL_NAME, ExecutionJournal

    normalize_prescription_number(args.number)
    check_line_number(args.line)
    line = LineExecution(args.line, count=args.count, quantity=args.quantity, done=not args.not_done,
                         reason=args.not_done, on=args.date, act=args.act, supply=args.supply)
    journal = ExecutionJournal(user_data_dir() / JOURNAL_NAME)
    try:  # kept in the journal until answered: a crash, then the same command, replays it
        with waiting_executions_told(journal):
            view = with_card_session(args, lambda _card, client: send_execution(client, journal, args.number, [line],
                                                                                complete=args.complete))
    finally:
        journal.close()
    _print_view(view, args.json)
    return 0


def _adjust(args: argparse.Namespace) -> int:
    from lap_app.domain.identifiers import normalize_prescription_number
    from lap_app.services.prescrit import Agreement, adjust_line, agreement_problems, check_line_number

    normalize_prescription_number(args.number)
    check_line_number(args.line)
    changes = [(name, getattr(args, option)) for option, name in CHANGE_OPTIONS.items()
               if getattr(args, option) is not None]
    agreement = Agreement(args.agreement, args.agreed_at, args.agreed_by)
    problems = agreement_problems(agreement, changes)
    if problems:  # said before the PIN is asked
        raise UserError(_("Ajustement incomplet : {problems}").format(problems="; ".join(problems)))
    # one id for this command: the client's retries replay it
    view = with_card_session(args, lambda card, client: adjust_line(client, card, args.number, args.line, changes,
                                                                    agreement))
    _print_view(view, args.json)
    return 0
