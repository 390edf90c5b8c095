"""The ``lap-app`` command line: its parser and the run of one command.

Each command group lives in its own module exposing ``register(subparsers)``; the handler
it sets (``func``) returns an exit code. Heavy imports stay inside the handlers so that
``lap-app --version`` and argument errors stay instant.

Errors: a ``UserError`` prints its one-line French message; an ``OSError`` or SQLite error
that no layer translated, Ctrl+C, and anything unexpected print a French one-liner too, and
the traceback goes to the log file, never to the terminal (``tests/test_cli_robustness.py``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sqlite3
import sys
from typing import NoReturn

from lap_app import __version__
from lap_app.domain.errors import UserError
from lap_app.i18n import _

log = logging.getLogger("lap_app")

# Command modules, in the order of ``lap-app --help``.
COMMAND_MODULES = (
    "lap_app.cli.render_cmd",
    "lap_app.cli.drugs_cmd",
    "lap_app.cli.nomenclature_cmd",
    "lap_app.cli.card_cmd",
    "lap_app.cli.pki_cmd",
    "lap_app.cli.base_cmd",
    "lap_app.cli.practice_cmd",
    "lap_app.cli.store_cmd",
    "lap_app.cli.prescribe_cmd",
    "lap_app.cli.pharmacy_cmd",
    "lap_app.cli.prescrit_cmd",
    "lap_app.cli.dmp_cmd",
    "lap_app.cli.gui_cmd",
    "lap_app.cli.demo_cmd",
)


class FrenchArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own messages are English
        self.exit(2, _("Erreur : arguments invalides pour « {prog} » ({message}) ; voir « {prog} --help »\n").format(
            prog=self.prog, message=message))


def build_parser() -> argparse.ArgumentParser:
    from lap_app.cli import argparse_fr

    argparse_fr.install()  # before any parser is built: argparse's own texts in French
    parser = FrenchArgumentParser(
        prog="lap-app", description=_("Logiciel d'aide à la prescription (ordonnance numérique).")
    )
    parser.add_argument("--version", action="version", version=f"lap-app {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=_("journal détaillé"))
    parser.add_argument("--store", metavar="EMPLACEMENT",
                        help=_("données du cabinet : serveur postgresql://utilisateur@serveur/base ou fichier SQLite "
                               "(par défaut : les paramètres, sinon le fichier de ce poste)"))
    parser.add_argument("--store-ca", metavar="FICHIER",
                        help=_("certificat de l'autorité (CA) du serveur du cabinet (TLS vérifié)"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _setup_logging(verbose: bool) -> None:
    from lap_app.logs import configure_logging

    configure_logging(verbose)


def run(argv: list[str] | None) -> int:
    """One command; Ctrl+C is left to the caller (``lap_app.cli.main``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    _choose_store(args.store, args.store_ca)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"{_('Erreur')} : {error.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``lap-app drugs search x | head``): not an error of ours.
        # Point stdout at /dev/null so that the interpreter's final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:  # a file or the system refused: the user can act on that
        from lap_app.domain.errors import os_error_reason

        log.exception("system error in command %s", args.command, extra={"console": False})
        where = f" : {error.filename}" if getattr(error, "filename", None) else ""
        print(_("Erreur : opération impossible{where} ({reason})").format(where=where, reason=os_error_reason(error)),
              file=sys.stderr)
        return 1
    except sqlite3.Error as error:  # mid-command: disk full, a lock held too long, a damaged file
        log.exception("database error in command %s", args.command, extra={"console": False})
        from lap_app.storage.sqlite_errors import SqliteFailure, sqlite_failure

        failure = sqlite_failure(error)
        if failure is SqliteFailure.FULL:
            message = _("Erreur : disque plein ; libérez de la place puis relancez la commande (ce qui était déjà "
                        "enregistré est conservé : voir « lap-app outbox »)")
        elif failure is SqliteFailure.BUSY:
            message = _("Erreur : données occupées par un autre programme LAP ; réessayez dans un instant")
        else:
            message = _("Erreur : fichier de données inutilisable ; le détail est dans le journal : {path}").format(
                path=_log_path())
        print(message, file=sys.stderr)
        return 1
    except Exception:
        from lap_app.logs import log_file_path

        log.exception("unexpected error in command %s", args.command, extra={"console": False})
        print(
            _("Erreur inattendue ; le détail technique est dans le journal : {path}").format(
                path=log_file_path()
            ),
            file=sys.stderr,
        )
        return 70


def _choose_store(store: str | None, ca_path: str | None) -> None:
    """Where the practice store is, for every command of this process (and the processes it starts):
    ``--store``, else the settings' practice server, else this workstation's file."""
    from lap_app.paths import STORE_CA_ENV, STORE_ENV

    if store is None and not os.environ.get(STORE_ENV):
        from lap_app.settings.store import configured_store

        store, settings_ca = configured_store()
        ca_path = ca_path if ca_path is not None else settings_ca
    if store:
        os.environ[STORE_ENV] = store
    if ca_path:
        os.environ[STORE_CA_ENV] = ca_path


def _log_path() -> str:
    from lap_app.logs import log_file_path

    return str(log_file_path())
