"""``lap-app gui``: the desktop application on this workstation's real readers and base."""

from __future__ import annotations

import argparse

from lap_app.cli.circuit_options import add_backend_options
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gui", help=_("ouvrir l'application (lecteurs de carte et base configurés)"),
        description=_("Ouvre l'application de prescription avec les lecteurs de carte du poste (PC/SC, ou le "
                      "module PKCS#11 de la Cryptolib CPS) et la base ordonnance numérique des paramètres (ou "
                      "--base-url/--base-ca, --pkcs11-module)."))
    parser.add_argument("--base-url", default=None, help=_("adresse https:// de la base"))
    parser.add_argument("--base-ca", default=None, help=_("certificat de l'autorité de la base (PEM)"))
    add_backend_options(parser)
    parser.set_defaults(func=run)


def build_context(base_url: str | None = None, base_ca: str | None = None, *, pkcs11_module: str | None = None,
                  force_pcsc: bool = False):
    """The context over this user's own settings, store and drug base, and the configured base;
    without a base configured, the application still opens (writing works, validation says
    where to configure the base)."""
    from lap_app.services.base_connection import configured_endpoint
    from lap_app.services.card_backend import card_service_for, choose_backend
    from lap_app.settings import load_settings, settings_path
    from lap_app.ui.context import assemble_context

    settings = load_settings()
    backend = choose_backend(pkcs11_module, force_pcsc=force_pcsc, settings=settings)
    endpoint = configured_endpoint(base_url, base_ca, settings=settings.base)  # a UserError names what is wrong
    return assemble_context(settings, settings_file=settings_path(), store_path=None, endpoint=endpoint,
                            card_service=card_service_for(backend))


def run(args: argparse.Namespace) -> int:
    from lap_app.cli.display import require_display
    from lap_app.domain.errors import UserError
    from lap_app.ui.app import create_application, run_main_window

    require_display()
    create_application()
    from lap_app.storage.errors import StoreUnavailable

    while True:
        try:
            context = build_context(args.base_url, args.base_ca, pkcs11_module=args.pkcs11_module,
                                    force_pcsc=args.pcsc)
            break
        except StoreUnavailable as error:  # the practice server is down: « Réessayer » once it is back
            from lap_app.ui.errors import ask_retry_at_startup

            if not ask_retry_at_startup(error):
                raise
        except UserError as error:  # a damaged store or drug database: said in a dialog too, not only on stderr
            from lap_app.ui.errors import show_startup_error

            show_startup_error(error)
            raise
    try:
        return run_main_window(context)
    finally:
        context.close()
