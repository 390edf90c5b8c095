"""``lap-app card info|readers|emulate``: the CPS card from the command line."""

from __future__ import annotations

import argparse
import json
import sys

from lap_app.cli.circuit_options import HOLDER_CHOICES, add_backend_options, card_backend
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("card", help=_("carte CPS : identité, lecteurs, carte virtuelle"))
    commands = parser.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    info = commands.add_parser("info", help=_("identité du porteur et essais restants du code porteur"))
    where = info.add_mutually_exclusive_group()
    where.add_argument("--reader", metavar="NOM", help=_("lecteur à utiliser (par défaut : le premier avec une carte)"))
    where.add_argument("--virtual", action="store_true",
                       help=_("carte de démonstration dans le lecteur virtuel intégré (sans PC/SC)"))
    info.add_argument("--holder", choices=HOLDER_CHOICES, default="medecin",
                      help=_("porteur de la carte virtuelle (avec --virtual)"))
    info.add_argument("--pki", metavar="DOSSIER", help=_("dossier de la PKI de démonstration (avec --virtual)"))
    add_backend_options(info)
    info.add_argument("--json", action="store_true", help=_("sortie JSON, avec les deux certificats en PEM"))
    info.set_defaults(func=_info)

    readers = commands.add_parser("readers", help=_("liste les lecteurs (ou slots PKCS#11) et les cartes présentes"))
    add_backend_options(readers)
    readers.set_defaults(func=_readers)

    emulate = commands.add_parser("emulate", help=_("insère une carte CPS virtuelle dans pcscd (vpcd) jusqu'à interruption"))
    emulate.add_argument("--holder", choices=HOLDER_CHOICES, default="medecin", help=_("porteur de la carte"))
    emulate.add_argument("--port", type=int, default=35963,
                         help=_("port de vpcd : 35963 pour le premier connecteur, 35964 pour le second"))
    emulate.add_argument("--pki", metavar="DOSSIER", help=_("dossier de la PKI de démonstration"))
    emulate.add_argument("--reset-pin", action="store_true",
                         help=_("débloque la carte : remet le compteur d'essais du code porteur à 3"))
    emulate.set_defaults(func=_emulate)


def _info(args: argparse.Namespace) -> int:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from lap_app.card import open_card
    from lap_app.services.card_backend import open_backend_card

    backend = card_backend(args)
    if args.virtual:
        from lap_app.standins.virtual_cps.inprocess import insert_virtual_card

        insert_virtual_card(args.holder, args.pki)
    with (open_card(virtual=True) if args.virtual else open_backend_card(backend, args.reader)) as card:
        identity = card.identity()
        tries = card.pin_tries_left()
        certs = {"auth_certificate": card.auth_certificate_der(), "sign_certificate": card.sign_certificate_der()}
        reader = card.reader
        token = getattr(card, "token_label", "")
    if args.json:
        out = {"reader": reader, "identity": identity.to_dict(), "pin_tries_left": tries}
        for name, der in certs.items():
            out[name] = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode("ascii")
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(_("Lecteur : {reader}").format(reader=reader))
    if token:
        print(_("Carte (jeton PKCS#11) : {label}").format(label=token))
    print(_("Porteur : {given} {family}").format(given=identity.given_name, family=identity.family_name))
    print(_("Profession : {label} (code {code})").format(label=identity.profession_label, code=identity.profession_code))
    print(_("Identifiant national : {nid} ({kind} {number})").format(
        nid=identity.national_id, kind=identity.id_type_label, number=identity.number))
    print(_("Numéro de série de la carte : {serial}").format(serial=identity.serial))
    if tries == 0:
        print(_("Code porteur : bloqué"))
    elif tries is None:
        print(_("Code porteur : la carte ne communique pas le nombre d'essais restants"))
    else:
        print(_("Code porteur : {n} essai(s) restant(s)").format(n=tries))
    return 0


def _readers(args: argparse.Namespace) -> int:
    from lap_app.domain.errors import UserError
    from lap_app.services.card_backend import card_service_for

    backend = card_backend(args)
    service = card_service_for(backend)
    try:
        states = service.snapshot()
    finally:
        service.close()
    if service.service_error:
        if backend.kind == "pkcs11":  # the module is the user's choice: say what to fix, and fail
            raise UserError(service.service_error)
        print(_("Le service des cartes à puce (pcscd) ne répond pas."))
    elif not states:
        print(_("Aucun lecteur de carte n'est branché."))
    for state in states:
        if not state.card_present:
            status = _("vide")
        elif state.token_serial:
            status = _("carte « {label} » (numéro de série {serial})").format(
                label=state.token_label, serial=state.token_serial)
        elif state.looks_like_cps:
            status = _("carte CPS (ATR {atr})").format(atr=state.atr.hex(" ").upper())
        else:
            status = _("carte (ATR {atr})").format(atr=state.atr.hex(" ").upper())
        print(f"{state.name} : {status}")
    return 0


def _emulate(args: argparse.Namespace) -> int:
    import signal
    import threading

    from lap_app.domain.errors import UserError
    from lap_app.standins.pki import init_pki
    from lap_app.standins.virtual_cps import VirtualCps
    from lap_app.standins.virtual_cps.pin_store import FilePinCounter
    from lap_app.standins.virtual_cps.vpcd import SlotBusyError, VpcdEmulator

    if not 1 <= args.port <= 65535:
        raise UserError(_("port invalide : {port}").format(port=args.port))
    holder = init_pki(args.pki).holder(args.holder)
    if args.reset_pin:
        FilePinCounter(holder.pin_state_path).reset()
        print(_("Compteur d'essais du code porteur remis à 3."))
    card = VirtualCps.from_holder(holder)
    emulator = VpcdEmulator(card, port=args.port)
    try:
        emulator.start(lock_timeout=0.5)
    except SlotBusyError:
        print(_("Le connecteur vpcd du port {port} est occupé par un autre émulateur ; attente…").format(
            port=args.port), flush=True)
        try:
            emulator.start(lock_timeout=30)
        except SlotBusyError:
            raise UserError(_("le connecteur vpcd du port {port} est déjà utilisé par un autre émulateur").format(
                port=args.port)) from None
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    ident = holder.identity
    try:
        print(_("Carte CPS virtuelle de {given} {family} ({label}) prête sur le port vpcd {port} ; "
                "Ctrl+C pour la retirer.").format(given=ident.given_name, family=ident.family_name,
                                                   label=ident.profession_label, port=args.port), flush=True)
        if not emulator.wait_powered(3):
            print(_("En attente de pcscd/vpcd sur le port {port}…").format(port=args.port), flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        emulator.stop()
    print(_("Carte retirée."), flush=True)
    return 0
