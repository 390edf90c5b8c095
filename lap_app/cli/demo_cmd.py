"""``lap-app demo``: the whole application on one machine, no hardware, no network."""

from __future__ import annotations

import argparse
from pathlib import Path

from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help=_("lancer l'application en mode démonstration (base locale, carte virtuelle)"),
        description=_("Démarre la base de référence en local (TLS), la carte CPS virtuelle du médecin "
                      "(code porteur 1234), des patients fictifs, et ouvre l'application."))
    reader = parser.add_mutually_exclusive_group()
    reader.add_argument("--pcsc", dest="pcsc", action="store_true", default=None,
                        help=_("carte virtuelle sur pcscd (lecteur vpcd) obligatoirement"))
    reader.add_argument("--no-pcsc", dest="pcsc", action="store_false",
                        help=_("lecteur virtuel interne, même si pcscd est présent"))
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=_("dossier de la démonstration (par défaut : son propre dossier, à part des données et paramètres de l'utilisateur)"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from lap_app.cli.display import require_display
    from lap_app.demo.environment import DemoEnvironment
    from lap_app.standins.server_extra import require_server_extra
    from lap_app.ui.app import create_application, run_main_window

    require_server_extra(_("La démonstration"))
    require_display()
    create_application()
    print(_("Démarrage de la démonstration (la première fois : création des certificats et de la base "
            "des médicaments, quelques secondes)…"), file=sys.stderr)
    environment = DemoEnvironment(args.data_dir, pcsc=args.pcsc).start()
    try:
        context = environment.context()
        where = _("pcscd (lecteur vpcd)") if environment.uses_pcsc else _("lecteur virtuel interne")
        print(_("Base de démonstration : {url} ; carte du médecin : {where} ; code porteur : 1234").format(
            url=environment.endpoint.url, where=where), file=sys.stderr)
        if environment.notice:
            print(environment.notice, file=sys.stderr)
        return run_main_window(context)
    finally:
        environment.stop()
