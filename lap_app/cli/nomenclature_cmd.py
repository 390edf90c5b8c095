"""``lap-app nomenclature search|import``: the NABM and LPP nomenclatures from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("nomenclature", help=_("nomenclatures de biologie (NABM) et des dispositifs (LPP)"))
    parser.add_argument("--db", type=Path, default=None,
                        help=_("fichier de la base (par défaut dans le dossier de données)"))
    commands = parser.add_subparsers(dest="nomenclature_command", metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    search = commands.add_parser("search", help=_("chercher un acte de biologie ou un dispositif"))
    search.add_argument("nomenclature", choices=("biologie", "dispositifs"),
                        help=_("biologie (NABM) ou dispositifs (LPP)"))
    search.add_argument("query", nargs="+", help=_("texte, abréviation ou code, ex. « NFS », « bandelettes »"))
    search.add_argument("--limit", type=int, default=20, help=_("nombre maximal de résultats (20 par défaut)"))
    search.add_argument("--json", action="store_true", help=_("sortie JSON : liste de {code, label, closed}"))
    search.set_defaults(func=_search)

    imp = commands.add_parser("import", help=_("importer une nouvelle version de la NABM et/ou de la LPP"))
    imp.add_argument("source", type=Path, help=_("dossier contenant IR_BIO_R.csv et/ou NT_LPP.csv"))
    imp.add_argument("--json", action="store_true", help=_("sortie JSON"))
    imp.set_defaults(func=_import)


def _search(args: argparse.Namespace) -> int:
    from lap_app.domain.errors import UserError
    from lap_app.nomenclatures import open_nomenclatures

    if args.limit < 1:
        raise UserError(_("--limit doit être un entier positif."))
    with open_nomenclatures(args.db) as db:
        results = db.search(args.nomenclature, " ".join(args.query), limit=args.limit)
    if args.json:
        json.dump([r.as_json() for r in results], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not results:
        print(_("Aucun code trouvé."))
        return 0
    for r in results:
        closed = ""
        if r.closed and r.closed_on is not None:
            closed = "  " + _("[fermé le {d} : ne peut plus être prescrit]").format(d=r.closed_on.strftime("%d/%m/%Y"))
        print(f"{r.code}  {r.label}{closed}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from lap_app.nomenclatures import build_database, import_files
    from lap_app.paths import user_data_dir

    db_path = args.db or user_data_dir() / "nomenclatures.sqlite"
    if db_path.exists():
        report = import_files(db_path, args.source)
    else:
        report = build_database(db_path, args.source)
    if args.json:
        json.dump({"files": report.files, "rows": report.rows, "problems": [p.render() for p in report.problems],
                   "seconds": round(report.seconds, 2)}, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(_("Nomenclatures importées en {s:.1f} s : {files}").format(s=report.seconds, files=", ".join(report.files)))
    for table, count in report.rows.items():
        print(f"  {table} : {count}")
    if report.problems:
        print(_("Lignes ignorées ({n}) :").format(n=len(report.problems)))
        for problem in report.problems[:50]:
            print(f"  {problem.render()}")
    return 0
