"""What the demo shows of every kind from its first start, through the real widgets: its
patients' past ordonnances (each kind at least once, paper examples of the demo store only),
« Renouveler » of a kind from them, the ready-made templates in the templates menu, and a
favourite line of a non-medicine kind kept and added back in one click."""

from __future__ import annotations

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.status import OrdonnanceStatus

from ui_support import login


def test_demo_patients_have_a_past_ordonnance_of_every_kind(demo_context) -> None:  # type: ignore[no-untyped-def]
    desk, patients = demo_context.services.prescribing, demo_context.services.patients
    seen: dict[OrdonnanceKind, str] = {}
    for name in ("DURAND", "PETIT", "BERNARD", "ROUSSEAU"):
        for entry in desk.history(patients.search(name)[0].to_patient()):
            if entry.status is OrdonnanceStatus.PAPER and entry.number is None:
                seen.setdefault(entry.ordonnance.kind, entry.summary)
    assert set(seen) == set(OrdonnanceKind)
    assert seen[OrdonnanceKind.BIOLOGIE].startswith("Biologie médicale : HBA1C")


def test_renewal_templates_and_favourites_of_a_kind_in_the_demo(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    window.patient_panel.select(window.context.services.patients.search("ROUSSEAU")[0])
    care = window.care_editor
    care.choose_kind(OrdonnanceKind.KINESITHERAPIE)
    care.renew_last()
    qtbot.waitUntil(lambda: care.lines.count() == 1, timeout=10000)
    assert care.lines.item(0).text().startswith("1. 10 séances de rééducation du rachis lombaire")

    care.choose_kind(OrdonnanceKind.BIOLOGIE)
    care._fill_templates()
    labels = [a.text() for a in care.templates_menu.actions() if a.text()]
    assert labels == ["Bilan diabète annuel", "INR hebdomadaire", "Enregistrer ces lignes comme modèle…"]
    next(a for a in care.templates_menu.actions() if a.text() == "INR hebdomadaire").trigger()
    assert care.lines.count() == 1 and "1 fois par semaine pendant 3 mois" in care.lines.item(0).text()

    # the INR line kept as a favourite, then added back in one click
    care.lines.setCurrentRow(0)
    care.add_selected_to_favourites()
    assert care.message_label.text().startswith("Ajoutée aux favoris : ")
    care.remove_selected()
    assert care.lines.count() == 0
    care._fill_favourites()
    favourites = [a for a in care.favourites_menu.actions() if a.text().startswith("TEMPS DE QUICK")]
    assert len(favourites) == 1
    favourites[0].trigger()
    assert care.lines.count() == 1 and care.draft.lines[OrdonnanceKind.BIOLOGIE][0].code == "0127"
    care.choose_kind(OrdonnanceKind.SOINS_INFIRMIERS)  # a favourite belongs to its kind
    care._fill_favourites()
    assert not [a for a in care.favourites_menu.actions() if a.text().startswith("TEMPS DE QUICK")]
    # the medicine favourites do not see it
    assert all(f.line.dci_wording for f in window.context.services.drafting.favourites())
    care.clear()
