"""Stopping the demo leaves no card behind: the physician's card leaves the process's virtual
reader (which outlives the demo: a card left there would still answer a login), and each
profession's card of « Prescrit (démo) » leaves its own reader."""

from __future__ import annotations

from pathlib import Path


def test_stopping_the_demo_pulls_every_card_it_inserted(tmp_path: Path, demo_pki_copy) -> None:  # type: ignore[no-untyped-def]
    from lap_app.card.virtual_reader import default_virtual_reader
    from lap_app.demo.environment import DemoEnvironment
    from lap_app.demo.patients import nir_with_key

    demo_pki_copy(tmp_path / "demo" / "pki")  # its keys made once for the session
    reader = default_virtual_reader()
    reader.remove()  # the process's reader, empty
    environment = DemoEnvironment(tmp_path / "demo", pcsc=False, base_port=0).start()
    try:
        assert reader.card is environment.physician_card  # the demo's card, in the reader
        environment.prescrits.dmp_documents(nir_with_key("2560369123045"))  # the pharmacist's card goes in its reader
        pharmacy_reader = environment.prescrits._desks["pharmacien"].reader
        assert pharmacy_reader.card_present
    finally:
        environment.stop()
    assert not reader.card_present
    assert not pharmacy_reader.card_present


def test_stopping_the_demo_leaves_a_card_it_did_not_insert(tmp_path: Path, demo_pki_copy) -> None:  # type: ignore[no-untyped-def]
    """A card put in the reader after the demo's was pulled (another holder's) is not the demo's."""
    from lap_app.card.virtual_reader import default_virtual_reader
    from lap_app.demo.environment import DemoEnvironment
    from lap_app.standins.virtual_cps import VirtualCps

    pki = demo_pki_copy(tmp_path / "demo" / "pki")
    reader = default_virtual_reader()
    environment = DemoEnvironment(tmp_path / "demo", pcsc=False, base_port=0).start()
    other = VirtualCps.from_holder(pki.holder("pharmacien"), persist_pin=False)
    try:
        environment.pull_card()
        reader.insert(other)
        environment.stop()
        assert reader.card is other
    finally:
        reader.remove()
