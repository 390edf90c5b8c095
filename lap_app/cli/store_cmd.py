"""``lap-app practice-server``: where this workstation keeps the practice's data — its own SQLite
file (the default), or the practice server shared by the workstations (PostgreSQL over TLS)."""

from __future__ import annotations

import argparse

from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "practice-server", help=_("relier ce poste au serveur du cabinet (données partagées) ou à son propre fichier"),
        description=_("Sans argument : indique où sont les données du cabinet et vérifie la connexion. Avec une "
                      "adresse postgresql://… : vérifie la connexion (TLS vérifié avec --ca), met le schéma à jour "
                      "puis l'enregistre dans les paramètres de ce poste."))
    parser.add_argument("url", nargs="?", metavar="ADRESSE",
                        help=_("postgresql://utilisateur:mot_de_passe@serveur:5432/base"))
    parser.add_argument("--ca", metavar="FICHIER", default="",
                        help=_("certificat de l'autorité (CA) qui a signé celui du serveur"))
    parser.add_argument("--local", action="store_true", help=_("revenir au fichier de ce poste"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lap_app.domain.errors import UserError
    from lap_app.settings import load_settings, save_settings, settings_path
    from lap_app.storage import LocalStore
    from lap_app.storage.engine import store_label
    from lap_app.storage.postgres import is_server_url

    settings = load_settings()
    if args.local:
        settings.store.url, settings.store.ca_path = "", ""
        save_settings(settings, settings_path())
        print(_("Ce poste utilise à nouveau son propre fichier de données."))
        return 0
    if args.url is None:
        store = LocalStore()
        try:
            print(_("Données du cabinet : {where}").format(where=store_label(store.location)))
            print(_("Connexion vérifiée ; {n} ordonnance(s) en attente d'envoi.").format(n=len(store.outbox())))
        finally:
            store.close()
        return 0
    if not is_server_url(args.url):
        raise UserError(_("Adresse du serveur du cabinet invalide : attendu postgresql://utilisateur@serveur/base"))
    ca_path = str(Path(args.ca).resolve()) if args.ca else ""
    if ca_path and not Path(ca_path).is_file():
        raise UserError(_("Certificat de l'autorité introuvable : {path}").format(path=ca_path))
    LocalStore(args.url, ca_path=ca_path).close()  # reached, TLS checked, schema up to date: else a French error
    settings.store.url, settings.store.ca_path = args.url, ca_path
    path = save_settings(settings, settings_path())
    print(_("Ce poste utilise désormais le serveur du cabinet {server} (paramètres : {path}).").format(
        server=store_label(args.url), path=path))
    return 0
