"""``lap-app render BUNDLE.json -o OUT.pdf [--format A4|A5]``: the paper ordonnance of a Bundle.

The Bundle is read (``lap_app.fhir.from_bundle``) and checked (``check_ordonnance``) before
anything is written; the PDF is written to a temporary file renamed over ``OUT.pdf`` so
that a failure never leaves a truncated file behind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lap_app.cli.output_files import replace_file
from lap_app.domain.errors import UserError, os_error_reason
from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help=_("imprime en PDF l'ordonnance d'un Bundle FHIR"),
        description=_("Produit l'ordonnance papier (PDF avec QR code) d'un Bundle FHIR JSON."),
    )
    parser.add_argument("bundle", metavar="BUNDLE.json", help=_("ordonnance au format FHIR (JSON)"))
    parser.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help=_("PDF à écrire"))
    parser.add_argument(
        "--format", dest="page_size", default="A4", type=str.upper, choices=("A4", "A5"),
        help=_("format de page (A4 par défaut)"),
    )
    parser.add_argument("--duplicata", action="store_true", help=_("filigrane « DUPLICATA »"))
    parser.add_argument(
        "--offline-reason", metavar="MOTIF",
        help=_("motif imprimé sur une ordonnance papier sans numéro (service indisponible…)"),
    )
    parser.set_defaults(func=handle_render)


def handle_render(args: argparse.Namespace) -> int:
    source = Path(args.bundle)
    data = read_bundle_json(source)

    from lap_app.domain.validation import check_ordonnance
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    try:
        ordonnance = from_bundle(data)
        check_ordonnance(ordonnance)
        pdf = render_ordonnance_pdf(
            ordonnance, args.page_size, offline_reason=args.offline_reason, duplicate=args.duplicata
        )
    except UserError as error:  # the terminal gets one line, whatever the message holds
        raise UserError(" ".join(error.message.split())) from error
    output = Path(args.output)
    write_atomically(output, pdf)
    print(_("Ordonnance écrite : {path}").format(path=output))
    return 0


def read_bundle_json(path: Path) -> dict:
    """The JSON object of ``path``, or a ``UserError`` saying in French what is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(_("Fichier introuvable : {path}").format(path=path)) from None
    except IsADirectoryError:
        raise UserError(_("{path} est un dossier, pas un fichier").format(path=path)) from None
    except OSError as error:
        raise UserError(
            _("Lecture impossible de {path} : {reason}").format(path=path, reason=os_error_reason(error))
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("{path} n'est pas un fichier texte UTF-8").format(path=path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(
            _("{path} n'est pas un JSON valide (ligne {line}, colonne {col})").format(
                path=path, line=error.lineno, col=error.colno
            )
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else None
        raise UserError(
            _("{path} n'est pas un Bundle FHIR (resourceType : {kind})").format(
                path=path, kind=kind if isinstance(kind, str) else _("absent")
            )
        )
    return data


def write_atomically(path: Path, content: bytes) -> None:
    """The PDF's own guards (its wording names a PDF), then the shared atomic write."""
    if path.is_dir():
        raise UserError(_("{path} est un dossier : indiquez un nom de fichier PDF").format(path=path))
    if path.exists() and not path.is_file():  # a device (/dev/full): never renamed over
        raise UserError(_("{path} n'est pas un fichier ordinaire : indiquez un nom de fichier").format(path=path))
    replace_file(path, content)
