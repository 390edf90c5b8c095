"""The prescription editor on the real drug base (BDPM 2021-05 + ANSM thesaurus), driven with keys.

Search as you type, the line editor with its live sentence, lines reordered/edited/removed,
interactions shown live with the contre-indication acknowledgement, allergies, favourites,
templates, renewal, one draft per patient.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from lap_app.domain.model import NonSubstitutionReason, Zone
from lap_app.drugs import open_drug_database
from lap_app.services.patients import LongTermTreatment
from lap_app.ui.editor import PrescriptionEditor

from practice_store_support import adult, make_context, type_text


@pytest.fixture(scope="module")
def drugs():
    database = open_drug_database()  # built once per session from the shipped BDPM
    yield database
    database.close()


@pytest.fixture()
def editor(qtbot, tmp_path, drugs):
    context = make_context(tmp_path / "store.sqlite3", drugs=drugs)
    widget = PrescriptionEditor(context)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    patient = context.services.patients.save(adult(ald=True, ald_label="Diabète de type 2", weight_kg=70))
    widget.set_patient(patient)
    return widget


def _choose(qtbot, editor: PrescriptionEditor, query: str, row: int = 0) -> None:
    editor.search.edit.setFocus()
    editor.search.edit.clear()
    type_text(qtbot, editor.search.edit, query)
    assert editor.search.model.rowCount() > row, f"no result for {query!r}"
    for _step in range(row):
        qtbot.keyClick(editor.search.edit, Qt.Key.Key_Down)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    assert editor.line_editor.isEnabled()


def _result_for(editor: PrescriptionEditor, needle: str) -> int:
    for row, drug in enumerate(editor.search.results()):
        if needle in drug.name:
            return row
    raise AssertionError(f"{needle!r} not in {[d.name for d in editor.search.results()]}")


def test_search_results_show_what_the_physician_needs(qtbot, editor: PrescriptionEditor) -> None:
    type_text(qtbot, editor.search.edit, "doliprane 1000")
    model = editor.search.model
    assert model.rowCount() >= 1
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    name, dci, marketed, price, rate, _generic = cells
    assert name.startswith("DOLIPRANE 1000 mg")
    assert "PARACÉTAMOL 1000 mg" in dci
    assert "comprimé" in name or "gélule" in name or "poudre" in name  # the name ends with the form, whole
    assert marketed.startswith("oui")
    assert "commercialisé" in model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert price.endswith("€") and "," in price
    assert rate.endswith("%")
    # Down arrow walks the results without leaving the search box; Enter picks
    editor.search.edit.clear()
    editor.search.edit.setFocus()
    type_text(qtbot, editor.search.edit, "amox")
    third = editor.search.results()[2]
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Down)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Down)
    assert editor.search.edit.hasFocus()
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    assert editor.line_editor.line().cis == third.cis
    editor.line_editor.cancel()
    editor.search.edit.clear()
    type_text(qtbot, editor.search.edit, "zzqx")
    assert model.rowCount() == 0 and "Aucun médicament" in editor.search.status.text()


def test_line_editor_sentence_is_live_and_the_line_is_structured(qtbot, editor: PrescriptionEditor) -> None:
    _choose(qtbot, editor, "metformine 1000")
    line_editor = editor.line_editor
    assert editor.search.edit.text() == "metformine 1000"
    assert line_editor.dose_spin.hasFocus()
    qtbot.mouseClick(line_editor.moment_checks["MORN"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(line_editor.moment_checks["EVE"], Qt.MouseButton.LeftButton)
    assert line_editor.sentence_label.text() == "1 comprimé matin et soir"
    line_editor.duration_spin.setFocus()
    line_editor.duration_spin.selectAll()
    qtbot.keyClicks(line_editor.duration_spin, "3")
    line_editor.duration_combo.setCurrentIndex(line_editor.duration_combo.findData("mo"))
    assert line_editor.sentence_label.text() == "1 comprimé matin et soir pendant 3 mois"
    line_editor.renewals_spin.setValue(2)
    qtbot.mouseClick(line_editor.nonsub_check, Qt.MouseButton.LeftButton)
    line_editor.reason_combo.setCurrentIndex(line_editor.reason_combo.findData(NonSubstitutionReason.MTE))
    qtbot.mouseClick(line_editor.ald_check, Qt.MouseButton.LeftButton)  # the patient is in ALD
    qtbot.keyClick(line_editor.duration_spin, Qt.Key.Key_Return)  # Enter adds the line

    lines = editor.draft_lines()
    assert len(lines) == 1
    line = lines[0]
    assert line.cis and line.dci_wording.startswith("METFORMINE")
    assert line.posology.when == ["MORN", "EVE"] and line.posology.duration == 3 and line.posology.duration_unit == "mo"
    assert line.renewals == 2 and not line.substitution_allowed
    assert line.non_substitution_reason is NonSubstitutionReason.MTE
    assert line.zone is Zone.ALD
    assert "matin et soir pendant 3 mois" in editor.lines_view.list.item(0).text()
    assert "non substituable (MTE)" in editor.lines_view.list.item(0).text()
    assert editor.search.edit.hasFocus() and editor.search.edit.text() == ""

    # as needed, with a maximum and an interval
    _choose(qtbot, editor, "doliprane 1000")
    line_editor.dose_spin.setValue(1)
    line_editor.interval_spin.setValue(6)
    qtbot.mouseClick(line_editor.as_needed_check, Qt.MouseButton.LeftButton)
    type_text(qtbot, line_editor.reason_edit, "douleur")
    line_editor.max_spin.setValue(4)
    assert line_editor.sentence_label.text() == (
        "1 comprimé toutes les 6 heures si douleur, 4 comprimés par jour au maximum"
    )
    qtbot.mouseClick(line_editor.commit_button, Qt.MouseButton.LeftButton)
    assert len(editor.draft_lines()) == 2 and editor.draft_lines()[1].posology.as_needed


def test_lines_are_reordered_edited_and_removed_with_the_keyboard(qtbot, editor: PrescriptionEditor) -> None:
    for query in ("metformine 1000", "doliprane 1000", "levothyrox 100"):
        _choose(qtbot, editor, query)
        qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    names = lambda: [line.dci_wording.split()[0] for line in editor.draft_lines()]  # noqa: E731
    assert names() == ["METFORMINE", "PARACÉTAMOL", "LÉVOTHYROXINE"]
    view = editor.lines_view.list
    view.setFocus()
    view.setCurrentRow(2)
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert names() == ["METFORMINE", "LÉVOTHYROXINE", "PARACÉTAMOL"]
    assert view.currentRow() == 1

    qtbot.keyClick(view, Qt.Key.Key_Return)  # edit the levothyroxine line in place
    assert editor.line_editor.editing
    editor.line_editor.dose_spin.setValue(1)
    qtbot.mouseClick(editor.line_editor.moment_checks["MORN"], Qt.MouseButton.LeftButton)
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    assert len(editor.draft_lines()) == 3
    assert editor.draft_lines()[1].posology.when == ["MORN"]

    view.setFocus()
    view.setCurrentRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert names() == ["LÉVOTHYROXINE", "PARACÉTAMOL"]
    assert "Ligne retirée" in editor.message_label.text()


def test_contraindication_is_shown_live_and_must_be_acknowledged(qtbot, editor: PrescriptionEditor) -> None:
    panel = editor.alerts_panel()
    _choose(qtbot, editor, "simvastatine 20")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    assert panel.unacknowledged_alerts() == []
    _choose(qtbot, editor, "clarithromycine 500")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)

    pending = panel.unacknowledged_alerts()
    assert len(pending) == 1 and pending[0].level == "CI"
    assert "SIMVASTATINE" in pending[0].title and "CLARITHROMYCINE" in pending[0].title
    assert "rhabdomyolyse" in pending[0].description
    assert "contre-indication à confirmer" in panel.summary.text()
    card = next(c for c in panel.cards() if c.ack_check is not None)
    assert card.isVisible()
    qtbot.mouseClick(card.ack_check, Qt.MouseButton.LeftButton)
    assert panel.unacknowledged_alerts() == []

    # a new line does not reset the acknowledgement of an alert still raised
    _choose(qtbot, editor, "doliprane 1000")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    assert panel.unacknowledged_alerts() == []
    with qtbot.waitSignal(editor.validate_requested, timeout=1000):
        qtbot.keyClick(editor.lines_view.list, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_allergy_and_long_term_treatment_are_checked(qtbot, editor: PrescriptionEditor, drugs) -> None:
    simvastatin = drugs.search("simvastatine 20")[0]
    patient = editor._context.services.patients.save(adult(
        family_name="Bernard", ins=None, allergies=["amoxicilline"],
        treatments=[LongTermTreatment(simvastatin.name, simvastatin.cis)],
    ))
    editor.set_patient(patient)
    assert editor.draft_lines() == []  # another patient, another draft
    _choose(qtbot, editor, "clamoxyl 500")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    levels = [a.level for a in editor.alerts_panel().alerts()]
    assert levels[0] == "ALLERGY"
    _choose(qtbot, editor, "clarithromycine 500")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    assert [a.level for a in editor.alerts_panel().unacknowledged_alerts()] == ["ALLERGY", "CI"]


def test_favourites_templates_and_renewal(qtbot, editor: PrescriptionEditor) -> None:
    _choose(qtbot, editor, "levothyrox 100")
    qtbot.mouseClick(editor.line_editor.moment_checks["MORN"], Qt.MouseButton.LeftButton)
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    editor.lines_view.list.setCurrentRow(0)
    qtbot.mouseClick(editor.lines_view.favourite_button, Qt.MouseButton.LeftButton)
    library = editor._context.services.drafting
    favourites = library.favourites()
    assert len(favourites) == 1 and favourites[0].line.posology.when == ["MORN"]
    editor.save_template("Hypothyroïdie")
    first = editor.draft_lines()[0]

    editor.clear()
    assert editor.draft_lines() == []
    editor._fill_favourites_menu()
    editor.favourites_menu.actions()[0].trigger()
    editor._fill_templates_menu()
    next(a for a in editor.templates_menu.actions() if a.text() == "Hypothyroïdie").trigger()
    lines = editor.draft_lines()
    assert len(lines) == 2 and all(line.cis == first.cis for line in lines)
    assert len({line.resource_id for line in lines} | {first.resource_id}) == 3  # fresh copies

    editor.load_lines([first])  # renewal from history replaces the draft
    assert [line.dci_wording for line in editor.draft_lines()] == [first.dci_wording]
    assert editor.draft_lines()[0].resource_id != first.resource_id


def test_ald_zone_only_for_a_patient_in_ald(qtbot, editor: PrescriptionEditor) -> None:
    patient = editor._context.services.patients.save(adult(family_name="Sans", ins=None,
                                                             birth_date=date(1980, 1, 1)))
    editor.set_patient(patient)
    _choose(qtbot, editor, "doliprane 1000")
    assert not editor.line_editor.ald_check.isEnabled()


def test_prescribing_conditions_are_shown_without_blocking(qtbot, editor: PrescriptionEditor) -> None:
    _choose(qtbot, editor, "skenan 10")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    alerts = editor.alerts_panel().alerts()
    conditions = [a for a in alerts if a.level == "CONDITION"]
    assert any("ordonnance sécurisée" in a.title for a in conditions)
    assert any("ordinaire ne suffit pas" in a.description for a in conditions)
    assert not any(a.title.lower() == "liste i" for a in alerts)  # routine lists are not noise-alerts
    assert editor.alerts_panel().unacknowledged_alerts() == []
    assert editor.validate_button.isEnabled()


def test_keyboard_shortcuts(qtbot, editor: PrescriptionEditor) -> None:
    editor.lines_view.list.setFocus()
    qtbot.keyClick(editor.lines_view.list, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert editor.search.edit.hasFocus()
    _choose(qtbot, editor, "doliprane 1000")
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Ajoutez ou annulez la ligne en cours" in editor.line_editor.problem_label.text()  # the line typed stays
    assert editor.line_editor.isEnabled()


def test_a_generic_named_after_its_substances_spans_the_dci_column_and_loses_only_its_ratio_note() -> None:
    from lap_app.ui.editor.drug_search import list_name, names_its_substances

    class Drug:
        name = ("AMOXICILLINE/ACIDE CLAVULANIQUE ARROW 1 g/125 mg ADULTES, poudre pour suspension buvable en "
                "sachet-dose (rapport amoxicilline/acide clavulanique : 8/1)")

    assert list_name(Drug()) == ("AMOXICILLINE/ACIDE CLAVULANIQUE ARROW 1 g/125 mg ADULTES, poudre pour suspension "
                                 "buvable en sachet-dose")
    Drug.name = "DOLIPRANE 1000 mg, comprimé (sécable)"
    assert list_name(Drug()) == Drug.name  # another note stays
    assert names_its_substances("AMOXICILLINE/ACIDE CLAVULANIQUE ARROW 1 g/125 mg ADULTES",
                                "AMOXICILLINE 1000 mg + ACIDE CLAVULANIQUE 125 mg")
    assert names_its_substances("PERINDOPRIL ARGININE-AMLODIPINE SERVIER 5 mg/5 mg, comprimé",
                                "AMLODIPINE 5 mg + PÉRINDOPRIL 3,395 mg")  # accents and order apart
    assert not names_its_substances("DOLIPRANE 1000 mg, comprimé", "PARACÉTAMOL 1000 mg")  # a brand keeps its DCI
    assert not names_its_substances("LEVOTHYROX 100 microgrammes, comprimé sécable", "LÉVOTHYROXINE SODIQUE 100 µg")
    assert not names_its_substances("AMOXICILLINE ARROW 1 g", "AMOXICILLINE 1 g + ACIDE CLAVULANIQUE 125 mg")
