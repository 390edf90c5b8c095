"""Entry point of ``lap-app``.

Each command group lives in its own module exposing ``register(subparsers)``; the handler
it sets (``func``) returns an exit code. Heavy imports stay inside the handlers so that
``lap-app --version`` and argument errors stay instant.

Errors: a ``UserError`` prints its one-line French message; anything unexpected prints a
French one-liner and the traceback goes to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys

from lap_app import __version__
from lap_app.domain.errors import UserError
from lap_app.i18n import _

log = logging.getLogger("lap_app")

# Command modules, in the order of ``lap-app --help``.
COMMAND_MODULES = (
    "lap_app.cli.render_cmd",
    "lap_app.cli.drugs_cmd",
    "lap_app.cli.card_cmd",
    "lap_app.cli.pki_cmd",
    "lap_app.cli.base_cmd",
    "lap_app.cli.prescribe_cmd",
    "lap_app.cli.pharmacy_cmd",
    "lap_app.cli.dmp_cmd",
    "lap_app.cli.gui_cmd",
    "lap_app.cli.demo_cmd",
)


class FrenchArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own messages are English
        self.exit(2, f"{self.prog} : {_('arguments invalides')} ({message})\n")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="lap-app", description=_("Logiciel d'aide à la prescription (ordonnance numérique).")
    )
    parser.add_argument("--version", action="version", version=f"lap-app {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=_("journal détaillé"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser)
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:  # group not built yet
            continue
        importlib.import_module(name).register(subparsers)
    return parser


def _setup_logging(verbose: bool) -> None:
    from lap_app.logs import configure_logging

    configure_logging(verbose)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"{_('Erreur')} : {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("Interrompu."), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``lap-app drugs search x | head``): not an error of ours.
        # Point stdout at /dev/null so that the interpreter's final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
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


if __name__ == "__main__":
    raise SystemExit(main())
