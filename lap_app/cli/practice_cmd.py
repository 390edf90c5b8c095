"""``lap-app practice``: the practice details printed on every ordonnance (the same settings as
Fichier › Paramètres › Cabinet in the application)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lap_app.i18n import _

if TYPE_CHECKING:
    from lap_app.settings import Settings

FIELDS = (  # option, settings field, what the user reads
    ("postal_code", "--postal-code", _("Code postal")),
    ("city", "--city", _("Ville")),
    ("phone", "--phone", _("Téléphone")),
    ("email", "--email", _("Courriel")),
    ("qualification", "--qualification", _("Qualification")),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "practice", help=_("afficher ou renseigner les coordonnées du cabinet (imprimées sur l'ordonnance)"),
        description=_("Sans option : affiche les coordonnées du cabinet et ce qui manque. Avec des options : "
                      "les enregistre dans les paramètres (les mêmes que Paramètres › Cabinet)."))
    parser.add_argument("--address", action="append", metavar="LIGNE",
                        help=_("adresse du cabinet (une option par ligne ; remplace l'adresse entière)"))
    for _name, option, label in FIELDS:
        parser.add_argument(option, metavar=label.upper().replace(" ", "_"), help=label.lower())
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lap_app.services.practice import missing_practice_fields
    from lap_app.services.shared_practice import adopt_shared_practice, share_practice
    from lap_app.settings import load_settings, save_settings, settings_path
    from lap_app.storage import LocalStore
    from lap_app.storage.engine import default_store_location
    from lap_app.storage.postgres import is_server_url

    settings = load_settings()
    # on a practice server the details are shared by every workstation; the local file is not opened
    store = LocalStore() if is_server_url(default_store_location()) else None
    try:
        if store is not None:
            adopt_shared_practice(settings, store)
        if _apply(args, settings):
            path = save_settings(settings, settings_path())
            print(_("Coordonnées du cabinet enregistrées ({path}).").format(path=path))
            if store is not None and share_practice(settings, store):
                print(_("Elles sont partagées par tous les postes du cabinet (serveur du cabinet)."))
    finally:
        if store is not None:
            store.close()
    practice = settings.practice
    print(_("Adresse : {value}").format(value=" / ".join(practice.address_lines) or "—"))
    for name, _option, label in FIELDS:
        print(f"{label} : {getattr(practice, name) or '—'}")
    missing = missing_practice_fields(practice)
    if missing:
        print(_("À renseigner avant de signer une ordonnance : {fields}").format(fields=", ".join(missing)))
    return 0


def _apply(args: argparse.Namespace, settings: Settings) -> bool:
    """The options given, written into ``settings.practice``; whether anything changed."""
    from lap_app.domain.errors import UserError

    practice = settings.practice
    changed = False
    if args.address is not None:
        practice.address_lines = [line.strip() for line in args.address if line.strip()]
        changed = True
    for name, _option, _label in FIELDS:
        value = getattr(args, name)
        if value is not None:
            setattr(practice, name, value.strip())
            changed = True
    if practice.email and "@" not in practice.email:
        raise UserError(_("Adresse de courriel invalide : « {email} »").format(email=practice.email))
    return changed
