"""Options shared by the commands that talk to the base and use a card, and their outbox flush.

The PIN comes from a hidden prompt or, with ``--pin-stdin``, from the first line of stdin;
never from an argument.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lap_app.domain.errors import UserError
from lap_app.i18n import _

T = TypeVar("T")

HOLDER_CHOICES = ("medecin", "pharmacien", "biologiste", "infirmier", "kine", "orthophoniste", "orthoptiste",
                  "podologue", "fournisseur")


def add_base_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", metavar="URL", help=_("adresse https:// de la base (défaut : paramètres)"))
    parser.add_argument("--base-ca", metavar="CA.pem", help=_("certificat d'autorité de la base (défaut : paramètres)"))


def add_card_options(parser: argparse.ArgumentParser, default_holder: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reader", metavar="NOM", help=_("lecteur de carte (défaut : le premier avec une carte)"))
    group.add_argument("--virtual", action="store_true", help=_("carte CPS virtuelle de démonstration (lecteur interne)"))
    parser.add_argument("--holder", default=default_holder, choices=HOLDER_CHOICES,
                        help=_("porteur de la carte virtuelle (avec --virtual)"))
    parser.add_argument("--pki", metavar="DIR", help=_("PKI de démonstration de la carte virtuelle (avec --virtual)"))
    add_backend_options(parser)
    parser.add_argument("--pin-stdin", action="store_true", help=_("lire le code porteur sur l'entrée standard"))


def add_circuit_options(parser: argparse.ArgumentParser, default_holder: str, func: Callable[..., int], *,
                        json_help: str | None = "") -> None:
    """``--json`` (with ``json_help``; None: none), the base's and the card's options, then the
    function that runs the command."""
    if json_help is not None:
        parser.add_argument("--json", action="store_true", help=json_help or None)
    add_base_options(parser)
    add_card_options(parser, default_holder)
    parser.set_defaults(func=func)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--pkcs11-module PATH`` (the Cryptolib CPS) or ``--pcsc``; default: the settings, else PC/SC."""
    from lap_app.card.pkcs11.module_paths import suggested_modules

    parser.add_argument("--pkcs11-module", metavar="MODULE", default=None, help=_(
        "carte lue par ce module PKCS#11 (Cryptolib CPS), --reader désignant alors un slot ; "
        "emplacements habituels : {paths}").format(paths=", ".join(suggested_modules()[:2])))
    parser.add_argument("--pcsc", action="store_true",
                        help=_("lecteurs PC/SC même si les paramètres choisissent un module PKCS#11"))


def card_backend(args: argparse.Namespace) -> Any:
    """The back end of the command: --pkcs11-module / --pcsc, else the settings."""
    from lap_app.services.card_backend import choose_backend

    if getattr(args, "virtual", False) and (args.pkcs11_module or args.pcsc):
        raise UserError(_("--virtual utilise le lecteur interne de démonstration : sans --pkcs11-module ni --pcsc."))
    return choose_backend(args.pkcs11_module, force_pcsc=args.pcsc)


def read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        try:
            with warnings.catch_warnings():
                # no terminal: getpass would warn in English, then read the PIN with echo
                warnings.simplefilter("error", getpass.GetPassWarning)
                pin = getpass.getpass(_("Code porteur de la carte CPS : "))
        except getpass.GetPassWarning:
            raise UserError(_("Aucun terminal pour saisir le code porteur sans l'afficher : utilisez --pin-stdin")) \
                from None
        except EOFError:
            pin = ""
    if not pin:
        raise UserError(_("Code porteur non saisi"))
    return pin


def open_cli_card(args: argparse.Namespace) -> Any:
    """The card the command uses: in a PC/SC reader or through a PKCS#11 module, or the demo card
    in the internal reader."""
    from lap_app.card import open_card
    from lap_app.services.card_backend import open_backend_card

    backend = card_backend(args)
    if args.virtual:
        from lap_app.card import default_virtual_reader
        from lap_app.standins.virtual_cps.inprocess import insert_virtual_card

        if not default_virtual_reader().card_present:
            insert_virtual_card(args.holder, Path(args.pki) if args.pki else None)
        return open_card(virtual=True)
    return open_backend_card(backend, args.reader)


def unlocked_card(args: argparse.Namespace) -> Any:
    from lap_app.services.card_session import unlock_card

    card = open_cli_card(args)
    try:
        unlock_card(card, read_pin(args))
    except BaseException:
        card.close()
        raise
    return card


def endpoint(args: argparse.Namespace) -> Any:
    """The base of the command, checked before the PIN is asked (``base_connection``'s rule)."""
    from lap_app.services.base_connection import base_endpoint

    return base_endpoint(args.base_url, args.base_ca)


def flush_with_card(args: argparse.Namespace, store: Any) -> Any:
    """Send the outbox, then the DMP copies, with the card of the command line: a ``FlushReport``
    (the base unreachable: what waits, and why)."""
    from lap_app.base_client import BaseUnavailable
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token, renew_token
    from lap_app.services.outbox import FlushReport, flush_outbox

    target = endpoint(args)  # a base badly configured is said before the PIN is asked
    card = unlocked_card(args)
    with card, open_client(target) as client:
        try:
            open_token(card, client)
        except BaseUnavailable as error:
            return FlushReport(waiting=[e.number for e in store.outbox()], error=error.message)
        return flush_outbox(store, client, lambda: renew_token(card, client))


def with_card_session(args: argparse.Namespace, work: Callable[[Any, Any], T]) -> T:
    """``work(card, client)``: the base checked first, then the card unlocked (its PIN asked) and
    a client holding the card's token; both closed afterwards."""
    from lap_app.services.base_connection import open_client
    from lap_app.services.card_session import open_token

    target = endpoint(args)  # a base badly configured is said before the PIN is asked
    card = unlocked_card(args)
    with card, open_client(target) as client:
        open_token(card, client)
        return work(card, client)
