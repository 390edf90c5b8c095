"""Translation readiness: every message is extractable, the template is current, a catalogue
really translates, and Qt's own strings (standard buttons, print dialogs) are French.

- the committed ``resources/locale/lap_app.pot`` equals what the extractor makes of the source;
- every ``_()``/``ngettext()`` call takes literals or constants marked with ``N_`` (a short
  whitelist names the dynamic cases, each with its reason);
- a catalogue compiled here (the GNU .mo format written by hand) translates through
  ``lap_app.i18n`` in a fresh interpreter pointed at it with ``LAP_RESOURCES``;
- a QMessageBox of the application says "Oui", "Non", "Annuler".
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "lap_app"
POT = REPO_ROOT / "resources" / "locale" / "lap_app.pot"

# (file, call as written) -> why its argument cannot be a literal or an N_-marked constant
DYNAMIC_CALLS = {
    ("lap_app/drugs/conditions.py", "_(note)"):
        "note is the last field of a _RULES entry, each one N_-marked (checked below)",
    ("lap_app/services/practice.py", "_(label)"):
        "label is a value of REQUIRED_PRACTICE_FIELDS, each one N_-marked",
}


def _load_extractor():
    path = REPO_ROOT / "packaging" / "i18n" / "extract_messages.py"
    spec = importlib.util.spec_from_file_location("extract_messages", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


extractor = _load_extractor()


# --- a small PO reader, independent of the extractor's writer ------------------------------

def parse_po(text: str) -> list[dict[str, object]]:
    """Entries of a PO file: {"msgid", "msgid_plural", "msgstr" or "msgstr[n]", "refs",
    "flags", "brace_format"}."""
    entries, entry, key = [], {}, None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, key = {}, None
        elif line.startswith("#:"):
            entry.setdefault("refs", []).extend(line[2:].split())
        elif line.startswith("#,"):
            entry["flags"] = [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key is not None, f"line {number}: string without a keyword"
            entry[key] += _po_literal(line, number)
        else:
            key, _, rest = line.partition(" ")
            assert key in ("msgid", "msgid_plural", "msgstr") or key.startswith("msgstr["), (
                f"line {number}: unknown keyword {key!r}")
            assert key not in entry, f"line {number}: {key} twice in one entry"
            entry[key] = _po_literal(rest, number)
    if entry:
        entries.append(entry)
    for entry in entries:
        entry["brace_format"] = "python-brace-format" in entry.get("flags", ())
    return entries


def _po_literal(quoted: str, number: int) -> str:
    assert quoted.startswith('"') and quoted.endswith('"') and len(quoted) >= 2, f"line {number}"
    body, out, index = quoted[1:-1], [], 0
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    while index < len(body):
        char = body[index]
        if char == "\\":
            out.append(escapes[body[index + 1]])
            index += 2
            continue
        assert char != '"', f"line {number}: unescaped quote"
        out.append(char)
        index += 1
    return "".join(out)


def write_mo(path: Path, messages: dict[str | tuple[str, str], str | list[str]],
             plural_forms: str) -> None:
    """GNU .mo: magic, revision 0, count, offsets of the two sorted string tables, no hash.
    A plural message is keyed (msgid, msgid_plural) and translated by a list of forms."""
    header = f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {plural_forms}\n"
    catalogue = {"": header, **{"\0".join(k) if isinstance(k, tuple) else k: v
                                for k, v in messages.items()}}
    keys = sorted(catalogue, key=lambda k: k.encode("utf-8"))
    ids = [k.encode("utf-8") for k in keys]
    strs = [("\0".join(v) if isinstance(v, list) else v).encode("utf-8")
            for v in (catalogue[k] for k in keys)]
    count = len(keys)
    tables_end = 7 * 4 + 16 * count
    table, blob = [], b""
    for data in ids + strs:
        table.append((len(data), tables_end + len(blob)))
        blob += data + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, 0)
    body = b"".join(struct.pack("<2I", *pair) for pair in table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + body + blob)


# --- (a) the template is current and well formed --------------------------------------------

def test_committed_template_is_up_to_date() -> None:
    """Same messages as the source (msgid, plural, format flag). The file:line references
    are left out of the comparison: they move with every edit, and only guide translators."""
    def key(msgid, plural, brace_format):
        return msgid, plural, brace_format

    source = {key(m.msgid, m.plural, m.brace_format) for m in extractor.extract(REPO_ROOT)}
    committed = {key(e["msgid"], e.get("msgid_plural"), e["brace_format"])
                 for e in parse_po(POT.read_text(encoding="utf-8"))[1:]}
    missing = sorted(m for m, *_ in source - committed)
    removed = sorted(m for m, *_ in committed - source)
    assert not missing and not removed, (
        "resources/locale/lap_app.pot is out of date: run .venv/bin/python "
        f"packaging/i18n/extract_messages.py\nnot in it: {missing}\nno longer in the source: {removed}")


def test_template_parses_and_holds_the_marked_constants() -> None:
    from lap_app.drugs.models import LEVEL_LABELS
    from lap_app.render.ordonnance_pdf import NOTICE, ZONE_HEADINGS

    entries = parse_po(POT.read_text(encoding="utf-8"))
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "charset=UTF-8" in header["msgstr"]
    msgids = {entry["msgid"] for entry in messages}
    assert len(msgids) == len(messages) > 500  # one entry per message
    assert all(entry.get("refs") for entry in messages)
    for text in (NOTICE, *ZONE_HEADINGS.values(), *LEVEL_LABELS.values(), "décembre", "Médecin"):
        assert text in msgids
    plural = next(e for e in messages if e["msgid"] == "À renouveler {n} fois")
    assert plural["msgid_plural"] == "À renouveler {n} fois" and "msgstr[1]" in plural


def test_extractor_writes_escapes_plurals_and_references(tmp_path: Path) -> None:
    source = tmp_path / "lap_app" / "sample.py"
    source.parent.mkdir()
    source.write_text(
        'from lap_app.i18n import N_, _, ngettext\n'
        'LABEL = N_("Étiquette « marquée »")\n'
        'def f(n, x):\n'
        '    print(f"{_(\'dans une f-string\')}")\n'
        '    _(LABEL)\n'
        '    _("ligne 1\\nligne \\"2\\" \\\\ fin")\n'
        '    _("Étiquette « marquée »")\n'
        '    ngettext("{n} ligne", "{n} lignes", n)\n'
        '    _(x)\n'
        '    _("")\n'
        '    _("' + "mot " * 30 + '")\n',
        encoding="utf-8")
    messages = extractor.extract(tmp_path)
    parsed = parse_po(extractor.render_pot(messages))[1:]
    assert [(e["msgid"], e.get("msgid_plural"), e["refs"]) for e in parsed] == [
        ("Étiquette « marquée »", None, ["lap_app/sample.py:2", "lap_app/sample.py:7"]),
        ("dans une f-string", None, ["lap_app/sample.py:4"]),
        ('ligne 1\nligne "2" \\ fin', None, ["lap_app/sample.py:6"]),
        ("{n} ligne", "{n} lignes", ["lap_app/sample.py:8"]),
        ("mot " * 30, None, ["lap_app/sample.py:11"]),
    ]
    text = extractor.render_pot(messages)
    assert all(len(line) <= extractor.WIDTH for line in text.splitlines())
    assert text.count("#, python-brace-format") == 1


# --- (b) every _() argument is extractable -----------------------------------------------

def _marked(node: ast.AST | None) -> bool:
    """An N_("literal") call, or a dict/tuple/list made only of them."""
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Name) and node.func.id == "N_" and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
    if isinstance(node, ast.Dict):
        return bool(node.values) and all(_marked(value) for value in node.values)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(_marked(element) for element in node.elts)
    return False


def _module_constants(tree: ast.Module) -> dict[str, ast.AST]:
    constants: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            constants[node.target.id] = node.value
    return constants


def _imported_constants(tree: ast.Module, root: Path) -> dict[str, ast.AST]:
    """Constants a module imports from another module of the application."""
    found: dict[str, ast.AST] = {}
    for node in ast.walk(tree):  # handlers import inside functions too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lap_app."):
            path = root / Path(*node.module.split("."))
            path = path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"
            if path.exists():
                other = _module_constants(ast.parse(path.read_text(encoding="utf-8")))
                found.update({alias.asname or alias.name: other[alias.name]
                              for alias in node.names if alias.name in other})
    return found


def _extractable(argument: ast.AST, constants: dict[str, ast.AST]) -> bool:
    if isinstance(argument, ast.Constant):
        return isinstance(argument.value, str)
    if isinstance(argument, ast.Subscript):  # TABLE[key]
        argument = argument.value
    elif (isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute)
          and argument.func.attr == "get"):  # TABLE.get(key, fallback): an unknown key as is
        argument = argument.func.value
    return isinstance(argument, ast.Name) and _marked(constants.get(argument.id))


def unextractable_calls(root: Path) -> list[tuple[str, str, int]]:
    """(file, call, line) of every _()/ngettext() whose message is neither a literal nor an
    N_-marked constant (of the module or imported from the application)."""
    found = []
    for path in sorted((root / "lap_app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {**_imported_constants(tree, root), **_module_constants(tree)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            count = {"_": 1, "ngettext": 2}.get(node.func.id)
            if count is None:
                continue
            arguments = node.args[:count]
            if len(arguments) < count or not all(_extractable(a, constants) for a in arguments):
                found.append((path.relative_to(root).as_posix(), ast.unparse(node), node.lineno))
    return found


def test_every_translated_argument_is_extractable() -> None:
    found = unextractable_calls(REPO_ROOT)
    unexplained = [f"{file}:{line}: {call}" for file, call, line in found
                   if (file, call) not in DYNAMIC_CALLS]
    assert not unexplained, "mark these constants with N_ (or whitelist with a reason):\n" + \
        "\n".join(unexplained)
    stale = set(DYNAMIC_CALLS) - {(file, call) for file, call, _ in found}
    assert not stale, f"whitelisted calls no longer in the source: {sorted(stale)}"


def test_dynamic_notes_are_all_in_the_template() -> None:
    from lap_app.drugs.conditions import _RULES

    msgids = {entry["msgid"] for entry in parse_po(POT.read_text(encoding="utf-8"))}
    notes = [note for *_, note in _RULES if note]
    assert len(notes) >= 8 and set(notes) <= msgids


def test_checker_reports_unmarked_arguments(tmp_path: Path) -> None:
    (tmp_path / "lap_app").mkdir()
    (tmp_path / "lap_app" / "labels.py").write_text(
        'from lap_app.i18n import N_\n'
        'MARKED = {"a": N_("Un"), "b": N_("Deux")}\n'
        'PLAIN = {"a": "Un", "b": "Deux"}\n'
        'MIXED = (N_("Un"), "Deux")\n'
        'NOTICE = N_("Avis")\n', encoding="utf-8")
    (tmp_path / "lap_app" / "use.py").write_text(
        'from lap_app.i18n import _, ngettext\n'
        'from lap_app.labels import MARKED, MIXED, NOTICE, PLAIN\n'
        'def f(key, n, text):\n'
        '    _(MARKED[key]); _(MARKED.get(key, key)); _(NOTICE); _("littéral"); ngettext("a", "b", n)\n'
        '    _(PLAIN[key]); _(PLAIN.get(key, key)); _(MIXED[0]); _(text); _(f"{text}")\n'
        '    _("a" + text); ngettext("a", text, n)\n',
        encoding="utf-8")
    calls = [call for _, call, _ in unextractable_calls(tmp_path)]
    assert calls == ["_(PLAIN[key])", "_(PLAIN.get(key, key))", "_(MIXED[0])", "_(text)",
                     "_(f'{text}')", "_('a' + text)", "ngettext('a', text, n)"]


# --- (c) a compiled catalogue translates ----------------------------------------------------

TRANSLATED = {
    "Non renouvelable": "Not renewable",
    ("À renouveler {n} fois", "À renouveler {n} fois"): ["Renew {n} time", "Renew {n} times"],
    "novembre": "November",  # through _(_MONTHS[...]), an N_-marked table
    "Contre-indication": "Contraindication",  # through _(LEVEL_LABELS[...])
    "Prescription hospitalière : ne peut être prescrit en ville.":
        "Hospital prescription: cannot be prescribed by a GP.",  # through _(note)
}
PROBE = """
import json
from datetime import date
from lap_app.drugs.conditions import classify_condition
from lap_app.drugs.models import Alert
from lap_app.i18n import _
from lap_app.render.wording import long_date, renewal_text
alert = Alert("CI", ("60234100", "61266250"), ("A", "B"), ("x", "y"), "risque")
print(json.dumps([renewal_text(0), renewal_text(1), renewal_text(3),
                  long_date(date(2026, 11, 25)), alert.level_label,
                  classify_condition("prescription hospitalière").note, _("Erreur")]))
"""


@pytest.fixture(scope="module")
def english_resources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    entries = parse_po(POT.read_text(encoding="utf-8"))
    offered = {(e["msgid"], e["msgid_plural"]) if "msgid_plural" in e else e["msgid"] for e in entries}
    assert set(TRANSLATED) <= offered  # what a translator gets from the template
    root = tmp_path_factory.mktemp("resources")
    write_mo(root / "locale" / "en" / "LC_MESSAGES" / "lap_app.mo", TRANSLATED,
             "nplurals=2; plural=(n != 1);")
    return root


def _probe(resources: Path, language: str) -> list[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(LAP_RESOURCES=str(resources), LANGUAGE=language)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                            text=True, timeout=60, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compiled_catalogue_translates(english_resources: Path) -> None:
    assert _probe(english_resources, "en") == [
        "Not renewable", "Renew 1 time", "Renew 3 times", "25 November 2026",
        "Contraindication", "Hospital prescription: cannot be prescribed by a GP.",
        "Erreur"]  # "Erreur" has no translation: the French source stays


def test_without_a_catalogue_for_the_language_french_stays(english_resources: Path) -> None:
    assert _probe(english_resources, "de") == [
        "Non renouvelable", "À renouveler 1 fois", "À renouveler 3 fois", "25 novembre 2026",
        "Contre-indication", "Prescription hospitalière : ne peut être prescrit en ville.",
        "Erreur"]


# --- Qt's own strings ---------------------------------------------------------------------

def test_qt_standard_buttons_and_dialogs_speak_french(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QMessageBox

    from lap_app.ui.app import create_application
    from lap_app.ui.qt_translations import install_qt_translations

    app = create_application()  # reuses pytest-qt's application, like the tests of the UI
    assert app is qapp and install_qt_translations(app)  # already there: installed once
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Annuler l'ordonnance",
                      "Annuler l'ordonnance 2026 1125 0000 4292 ? Elle ne pourra plus être délivrée.",
                      buttons.Yes | buttons.No | buttons.Cancel)
    texts = [box.button(b).text().replace("&", "") for b in (buttons.Yes, buttons.No, buttons.Cancel)]
    assert texts == ["Oui", "Non", "Annuler"]
    box.show()
    qapp.processEvents()
    assert not box.grab().isNull() and box.grab().save(str(tmp_path / "message_box.png"))
    box.close()

    save = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
    assert sorted(b.text() for b in save.buttons()) == ["Enregistrer", "Fermer"]
    field = QLineEdit()
    menu = field.createStandardContextMenu()
    assert "Copier" in [a.text().split("\t")[0].replace("&", "") for a in menu.actions()]
    preview = QPrintPreviewDialog(QPrinter())
    actions = {a.text() for a in preview.findChildren(QAction)}
    assert {"Imprimer", "Mise en page", "Page suivante"} <= actions


def test_without_a_catalogue_the_french_plural_rule_applies() -> None:
    from lap_app.i18n import ngettext

    forms = ("{n} ordonnance en attente", "{n} ordonnances en attente")
    assert [ngettext(*forms, n).format(n=n) for n in (0, 1, 2)] == [
        "0 ordonnance en attente", "1 ordonnance en attente", "2 ordonnances en attente"]
