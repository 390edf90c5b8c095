"""``lap-app pki init [DIR]``: create (or complete) the demo PKI directory."""

from __future__ import annotations

import argparse

from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pki", help=_("PKI de démonstration (AC de test, cartes, TLS)"))
    commands = parser.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    init = commands.add_parser("init", help=_("crée l'AC de test, les cartes de démonstration et le certificat TLS"))
    init.add_argument("directory", nargs="?", metavar="DOSSIER",
                      help=_("dossier de la PKI (par défaut : dans les données de l'utilisateur)"))
    init.set_defaults(func=_init)


def _init(args: argparse.Namespace) -> int:
    from lap_app.standins.pki import init_pki

    pki = init_pki(args.directory)  # a directory it cannot use is a UserError (PkiDirectoryError)
    print(_("PKI de démonstration prête : {path}").format(path=pki.directory))
    print(_("  AC de test : {path}").format(path=pki.ca_cert_path))
    print(_("  certificat TLS : {path}").format(path=pki.server_cert_path))
    for name in pki.holder_names:
        ident = pki.holder(name).identity
        print(_("  carte {name} : {given} {family}, {label}, identifiant {nid}").format(
            name=name, given=ident.given_name, family=ident.family_name, label=ident.profession_label,
            nid=ident.national_id))
    return 0
