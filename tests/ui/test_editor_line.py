"""The line editor alone: structure in, structure out, the sentence and the hints as typed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lap_app.domain.model import NonSubstitutionReason, PrescriptionLine, Zone
from lap_app.domain.posology import Posology
from lap_app.ui.editor.line_editor import LineEditor


@pytest.fixture()
def line_editor(qtbot) -> LineEditor:
    widget = LineEditor()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_loading_then_reading_keeps_the_line(line_editor: LineEditor) -> None:
    line = PrescriptionLine(
        "METFORMINE 1000 mg, comprimé pelliculé",
        Posology(dose=1, dose_unit="comprimé", when=["MORN", "CM"], duration=3, duration_unit="mo", route="orale"),
        cis="60234100", boxes=3, renewals=2, substitution_allowed=False,
        non_substitution_reason=NonSubstitutionReason.CIF, zone=Zone.ALD, instructions="au milieu du repas",
    )
    line_editor.set_ald_allowed(True)
    line_editor.load(line, editing=True)
    read = line_editor.line()
    assert read.posology.when == ["MORN", "CM"]  # a moment without a check box is kept
    assert read.posology.route == "orale" and read.posology.duration == 3 and read.posology.duration_unit == "mo"
    assert (read.boxes, read.renewals, read.substitution_allowed) == (3, 2, False)
    assert read.non_substitution_reason is NonSubstitutionReason.CIF and read.zone is Zone.ALD
    assert read.instructions == "au milieu du repas" and read.resource_id == line.resource_id
    assert line_editor.sentence() == read.posology.sentence()
    assert line_editor.hints() == []


def test_hints_say_what_is_missing_without_blocking(qtbot, line_editor: LineEditor) -> None:
    line_editor.set_patient_age(34)
    line_editor.load(PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(dose=1, dose_unit="comprimé")))
    assert any("durée" in hint for hint in line_editor.hints())
    assert "durée" in line_editor.hint_label.text() and line_editor.hint_label.isVisibleTo(line_editor)
    line_editor.duration_spin.setValue(6)
    assert line_editor.hints() == [] and not line_editor.hint_label.isVisibleTo(line_editor)
    qtbot.mouseClick(line_editor.nonsub_check, Qt.MouseButton.LeftButton)
    line_editor.reason_combo.setCurrentIndex(line_editor.reason_combo.findData(NonSubstitutionReason.EFG))
    assert any("moins de 6 ans" in hint for hint in line_editor.hints())
    line_editor.set_patient_age(4)
    assert line_editor.hints() == []
    with qtbot.waitSignal(line_editor.committed, timeout=1000) as committed:
        qtbot.mouseClick(line_editor.commit_button, Qt.MouseButton.LeftButton)
    assert committed.args[0].non_substitution_reason is NonSubstitutionReason.EFG
    # a new line with something missing, then abandoned: its hint goes with it
    line_editor.load(PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(dose=1, dose_unit="comprimé")))
    assert line_editor.hint_label.text()
    line_editor.cancel()
    assert line_editor.hint_label.text() == "" and not line_editor.hint_label.isVisibleTo(line_editor)


def test_escape_cancels_and_a_dose_is_required(qtbot, line_editor: LineEditor) -> None:
    line_editor.load(PrescriptionLine("PARACÉTAMOL 1 g, comprimé", Posology(dose=1, dose_unit="comprimé")))
    line_editor.dose_spin.setValue(0)
    committed: list[object] = []
    line_editor.committed.connect(committed.append)
    qtbot.keyClick(line_editor.dose_spin, Qt.Key.Key_Return)
    assert committed == [] and "dose" in line_editor.sentence()
    with qtbot.waitSignal(line_editor.cancelled, timeout=1000):
        qtbot.keyClick(line_editor.dose_spin, Qt.Key.Key_Escape)
    assert not line_editor.isEnabled()


def test_favourite_and_template_storage_keeps_every_field(tmp_path) -> None:
    from lap_app.domain.model import Quantity
    from lap_app.services.drafting import DraftingLibrary
    from lap_app.storage import connect

    library = DraftingLibrary(connect(tmp_path / "store.sqlite3"))
    line = PrescriptionLine(
        "PARACÉTAMOL 1000 mg, comprimé",
        Posology(dose=1, dose_unit="comprimé", frequency=1, period=6, period_unit="h", as_needed=True,
                 as_needed_reason="douleur", max_dose=4, max_period=1, max_period_unit="d", min_interval_hours=6,
                 duration=5, duration_unit="d"),
        cis="60234100", cip13="3400935955838", product_name="DOLIPRANE 1000 mg, comprimé",
        pack_label="8 comprimés", boxes=2, supply_duration=Quantity(5, "jours", "d"), renewals=1,
        substitution_allowed=False, non_substitution_reason=NonSubstitutionReason.MTE,
        instructions="avec un grand verre d'eau", zone=Zone.ALD,
    )
    favourite = library.add_favourite(line)
    assert favourite.name.startswith("PARACÉTAMOL 1000 mg, comprimé — 1 comprimé toutes les 6 heures si douleur")
    stored = library.favourites()[0].line
    for name in ("dci_wording", "posology", "cis", "cip13", "product_name", "pack_label", "boxes", "supply_duration",
                 "renewals", "substitution_allowed", "non_substitution_reason", "instructions", "zone"):
        assert getattr(stored, name) == getattr(line, name), name
    library.save_template("Douleur", [line, line])
    library.save_template("Douleur", [line])  # same name: replaced, not duplicated
    assert [(t.name, len(t.lines)) for t in library.templates()] == [("Douleur", 1)]
    with pytest.raises(Exception, match="vide"):
        library.save_template("Vide", [])
