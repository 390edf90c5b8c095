"""``lap-app base serve|openapi``: the reference e-prescription base (stand-in)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lap_app.i18n import _

DATABASE_VARIABLE = "LAP_BASE_DATABASE"  # the same name as the workers' (standins.base_server.app)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("base", help=_("base de référence des ordonnances numériques (démo)"))
    commands = parser.add_subparsers(dest="base_command", metavar="ACTION", required=True)

    serve = commands.add_parser("serve", help=_("lancer la base en HTTPS"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--data-dir", required=True, metavar="DIR", help=_("dossier des données de la base"))
    serve.add_argument("--pki", required=True, metavar="DIR", help=_("PKI de démonstration (CA, certificat serveur)"))
    serve.add_argument("--token-ttl", type=float, default=600.0, metavar="S", help=_("durée de vie des jetons (s)"))
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help=_("nombre de processus serveurs (Linux ; défaut : 1)"))
    serve.add_argument("--database", default=os.environ.get(DATABASE_VARIABLE) or None, metavar="URL",
                       help=_("base PostgreSQL partagée par les processus et les serveurs, "
                              "postgresql://utilisateur@hôte:port/base (mot de passe : PGPASSWORD ou ~/.pgpass ; "
                              "défaut : SQLite dans --data-dir, ou la variable LAP_BASE_DATABASE)"))
    serve.add_argument("--request-timeout", type=float, default=10.0, metavar="S",
                       help=_("délai accordé à l'arrivée d'une requête ; une connexion lente ou muette est fermée"
                              " (défaut : 10 s)"))
    serve.set_defaults(func=_serve)

    openapi = commands.add_parser("openapi", help=_("écrire le document OpenAPI de la base"))
    openapi.add_argument("-o", "--output", metavar="FICHIER", help=_("fichier de sortie (défaut : sortie standard)"))
    openapi.set_defaults(func=_openapi)


def _serve(args: argparse.Namespace) -> int:
    import socket

    from lap_app.domain.errors import UserError, os_error_reason
    from lap_app.standins.server_extra import require_server_extra

    require_server_extra(_("La base de référence"))
    from lap_app.standins.base_server import serve

    if not 1 <= args.workers <= 64:
        raise UserError(_("--workers : entre 1 et 64 processus"))
    if not 0 <= args.port <= 65535:
        raise UserError(_("--port : un numéro de port entre 1 et 65535"))
    for folder in (args.data_dir, args.pki):
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(_("Dossier inutilisable : {path} ({reason})").format(
                path=folder, reason=os_error_reason(error))) from None
    if args.database is not None:
        _check_database(args.database)
    try:  # say it in French before uvicorn says it in English
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as error:
        raise UserError(_("Impossible d'écouter sur {host}:{port} : {reason}").format(
            host=args.host, port=args.port, reason=_listen_failure(error))) from None
    print(_("Base de référence sur https://{host}:{port} (Ctrl+C pour arrêter)").format(
        host=args.host, port=args.port), file=sys.stderr, flush=True)
    if not 0.1 <= args.request_timeout <= 3600:
        raise UserError(_("--request-timeout : entre 0,1 et 3600 secondes"))
    serve(args.host, args.port, Path(args.data_dir), Path(args.pki), token_ttl=args.token_ttl, workers=args.workers,
          request_timeout=args.request_timeout, database=args.database)
    return 0


def _check_database(url: str) -> None:
    """Open the PostgreSQL database once (creating its tables) and say in French what is wrong."""
    from lap_app.domain.errors import UserError
    from lap_app.standins.base_server.engines import is_postgres

    if not is_postgres(url):
        raise UserError(_("--database : une adresse postgresql://utilisateur@hôte:port/base est attendue"))
    try:
        from lap_app.standins.base_server.store_postgres import NewerSchema, PostgresBaseStore
    except ImportError:
        raise UserError(_("PostgreSQL : le module psycopg est absent de cette installation "
                          "(pip install \"psycopg[binary]\")")) from None
    import psycopg

    try:
        PostgresBaseStore(url, writers=1).close()
    except NewerSchema:
        raise UserError(_("La base PostgreSQL a été créée par une version plus récente du service : "
                          "mettez lap-app à jour")) from None
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise UserError(_("Base PostgreSQL injoignable ou accès refusé ({reason}) : vérifiez l'hôte, le port, "
                          "le nom de la base, l'utilisateur et le mot de passe").format(reason=reason)) from None


def openapi_document() -> dict:
    """The OpenAPI document of the base (what ``/openapi.json`` serves)."""
    from lap_app.standins.server_extra import require_server_extra

    require_server_extra(_("Le document OpenAPI de la base"))
    from lap_app.standins.base_server.app import bare_app

    return bare_app().openapi()


def _listen_failure(error: OSError) -> str:
    import errno
    import socket

    from lap_app.domain.errors import os_error_reason

    if isinstance(error, socket.gaierror) or isinstance(error.__context__, socket.gaierror):
        return _("nom d'hôte inconnu")
    return {
        errno.EADDRINUSE: _("port déjà utilisé par un autre programme ; choisissez-en un autre avec --port"),
        errno.EADDRNOTAVAIL: _("cette adresse n'est pas celle de ce poste ; vérifiez --host"),
        errno.EACCES: _("port réservé à l'administrateur ; choisissez un port au-delà de 1024"),
    }.get(error.errno or 0) or os_error_reason(error)


def _openapi(args: argparse.Namespace) -> int:
    text = json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if args.output:
        from lap_app.cli.output_files import write_atomically

        write_atomically(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0
