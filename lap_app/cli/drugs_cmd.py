"""``lap-app drugs search|interactions|import|coverage``: the drug database from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lap_app.i18n import _


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("drugs", help=_("base des médicaments (BDPM) et interactions (ANSM)"))
    parser.add_argument("--db", type=Path, default=None,
                        help=_("fichier de la base (par défaut dans le dossier de données)"))
    commands = parser.add_subparsers(dest="drugs_command", metavar="ACTION",
                                     parser_class=type(parser))
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    search = commands.add_parser("search", help=_("chercher par nom, substance, CIS ou CIP13"))
    search.add_argument("query", nargs="+", help=_("texte recherché, ex. « doli 1000 »"))
    search.add_argument("--limit", type=int, default=20, help=_("nombre maximal de résultats (20 par défaut)"))
    search.add_argument("--json", action="store_true", help=_("sortie JSON"))
    search.set_defaults(func=_search)

    inter = commands.add_parser("interactions", help=_("vérifier les interactions entre médicaments"))
    inter.add_argument("cis", nargs="+", help=_("codes CIS des lignes de l'ordonnance"))
    inter.add_argument("--current", nargs="*", default=[], metavar="CIS",
                       help=_("traitements en cours du patient"))
    inter.add_argument("--allergy", nargs="*", default=[], metavar="SUBSTANCE",
                       help=_("allergies déclarées (substances)"))
    inter.add_argument("--json", action="store_true", help=_("sortie JSON"))
    inter.set_defaults(func=_interactions)

    imp = commands.add_parser("import", help=_("importer une nouvelle version de la BDPM"))
    imp.add_argument("source", type=Path, help=_("dossier (ou .tar.xz) des fichiers BDPM"))
    imp.add_argument("--release", default=None, help=_("nom de la version (par défaut : nom du dossier)"))
    imp.add_argument("--json", action="store_true", help=_("sortie JSON"))
    imp.set_defaults(func=_import)

    rebuild = commands.add_parser("rebuild", help=_("reconstruire la base des médicaments (endommagée) : BDPM "
                                                    "livrée puis versions importées"))
    rebuild.set_defaults(func=_rebuild)

    cov = commands.add_parser("coverage", help=_("part des médicaments couverts par le thésaurus ANSM"))
    cov.add_argument("--limit", type=int, default=50, help=_("nombre de substances non trouvées affichées"))
    cov.add_argument("--json", action="store_true", help=_("sortie JSON"))
    cov.set_defaults(func=_coverage)


def _open(args: argparse.Namespace):
    from lap_app.drugs import open_drug_database

    return open_drug_database(args.db)


def _rebuild(args: argparse.Namespace) -> int:
    from lap_app.drugs.database import rebuild_drug_database

    releases = rebuild_drug_database(args.db)
    print(_("Base des médicaments reconstruite : BDPM livrée, puis versions importées réappliquées : {releases}")
          .format(releases=", ".join(releases) or _("aucune")))
    return 0


def _price(value: float | None) -> str:
    return f"{value:.2f} €".replace(".", ",") if value is not None else "—"


def _search(args: argparse.Namespace) -> int:
    from lap_app.domain.errors import UserError

    if args.limit < 1:
        raise UserError(_("--limit doit être un entier positif."))
    with _open(args) as db:
        results = db.search(" ".join(args.query), limit=args.limit)
    if args.json:
        json.dump([r.to_json() for r in results], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not results:
        print(_("Aucun médicament trouvé."))
        return 0
    for r in results:
        flags = [] if r.marketed else [_("non commercialisé")]
        if r.availability_alert:
            flags.append(r.availability_alert)
        if r.needs_special_prescription:
            flags.append(_("prescription particulière"))
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        print(f"{r.cis}  {r.name}{suffix}")
        print(f"          {_('DCI')} : {r.dci}")
        if r.generic:
            print(f"          {_('Groupe générique')} {r.generic.group_id} : {r.generic.role}")
        for c in r.prescribing_conditions:
            print(f"          {_('Condition')} : {c.text}" + (f" — {c.note}" if c.note else ""))
        for p in r.presentations:
            rate = f"{p.reimbursement_rate} %" if p.reimbursement_rate is not None else _("non remb.")
            print(f"          {p.cip13}  {_price(p.price):>10}  {rate:>9}  {p.label}")
    return 0


def _interactions(args: argparse.Namespace) -> int:
    with _open(args) as db:
        alerts = db.check_interactions(args.cis, current_cis=args.current, allergies=args.allergy)
    if args.json:
        json.dump([a.to_json() for a in alerts], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not alerts:
        print(_("Aucune interaction, redondance ni allergie détectée."))
        return 0
    for a in alerts:
        print(f"[{a.level}] {a.level_label} : {' + '.join(a.drug_names)}")
        print(f"    {_('Substances')} : {' × '.join(a.substances)}")
        print(f"    {a.description}")
        if a.conduct:
            for line in a.conduct.splitlines():
                print(f"    → {line}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from lap_app.drugs.database import import_into

    report = import_into(args.db, args.source, args.release)
    if args.json:
        json.dump({
            "release": report.release, "files": report.files, "rows": report.rows,
            "added": [list(x) for x in report.added], "removed": [list(x) for x in report.removed],
            "renamed": [list(x) for x in report.renamed],
            "problems": [p.render() for p in report.problems], "warnings": [w.render() for w in report.warnings],
            "ignored_files": report.ignored_files, "seconds": round(report.seconds, 2),
        }, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(_("Version {release} importée en {s:.1f} s : {files}").format(
        release=report.release, s=report.seconds, files=", ".join(report.files)))
    for table, count in report.rows.items():
        print(f"  {table} : {count}")
    print(_("CIS ajoutés : {a} ; retirés : {r} ; renommés : {n}").format(
        a=len(report.added), r=len(report.removed), n=len(report.renamed)))
    for cis, name in report.added[:20]:
        print(f"  + {cis} {name}")
    for cis, name in report.removed[:20]:
        print(f"  - {cis} {name}")
    for cis, old, new in report.renamed[:20]:
        print(f"  ~ {cis} {old} → {new}")
    for label, items in ((_("Lignes ignorées"), report.problems), (_("Remarques"), report.warnings)):
        if items:
            print(f"{label} ({len(items)}) :")
            for item in items[:50]:
                print(f"  {item.render()}")
    if report.ignored_files:
        print(_("Fichiers non utilisés : {files}").format(files=", ".join(report.ignored_files)))
    return 0


def _coverage(args: argparse.Namespace) -> int:
    with _open(args) as db:
        cov = db.coverage()
    from lap_app.drugs.coverage import CATEGORIES

    mappable = cov["mappable"]
    if args.json:
        json.dump({**cov, "unmapped": [{"substance": n, "drugs": c} for n, c in cov["unmapped"]],
                   "mappable": {**mappable,
                                "unmapped": [{"substance": n, "drugs": c} for n, c in mappable["unmapped"]],
                                "without_profile": [{"substance": n, "drugs": c, "category": r}
                                                    for n, c, r in mappable["without_profile"]]}},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(_("Médicaments commercialisés dont toutes les substances actives sont dans le thésaurus ANSM :"
            " {f} / {m} ({p:.1f} %)").format(f=cov["fully_mapped"], m=cov["marketed"], p=100 * cov["share"]))
    print(_("Hors substances sans profil d'interaction (homéopathie, acides aminés, nutriments, électrolytes"
            " non listés, vaccins inactivés, protéines plasmatiques) : {f} / {m} ({p:.1f} %)").format(
        f=mappable["fully_mapped"], m=mappable["marketed"], p=100 * mappable["share"]))
    print(_("Médicaments écartés du second chiffre : {e}").format(
        e=", ".join(f"{_(CATEGORIES.get(k, k))} {v}" for k, v in sorted(mappable["excluded_drugs"].items()))
        or "0"))
    print(_("Méthodes de correspondance : {m}").format(
        m=", ".join(f"{k} {v}" for k, v in sorted(cov["methods"].items()))))
    print(_("Substances non trouvées ({n}, par nombre de médicaments commercialisés) :").format(
        n=len(cov["unmapped"])))
    for name, count in cov["unmapped"][: max(0, args.limit)]:  # a negative slice would cut the tail
        print(f"  {count:5d}  {name}")
    print(_("Dont substances pouvant avoir un profil d'interaction ({n}) :").format(n=len(mappable["unmapped"])))
    for name, count in mappable["unmapped"][: max(0, args.limit)]:
        print(f"  {count:5d}  {name}")
    return 0
