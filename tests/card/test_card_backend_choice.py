"""Which back end a command or the application uses: command line, then settings, then PC/SC."""

from __future__ import annotations

import pytest

from lap_app.domain.errors import UserError
from lap_app.services.card_backend import card_service_for, choose_backend
from lap_app.settings import Settings


def _settings(backend: str = "pcsc", module: str = "") -> Settings:
    settings = Settings()
    settings.card.backend, settings.card.pkcs11_module = backend, module
    return settings


def test_pcsc_is_the_default() -> None:
    assert choose_backend(settings=Settings()).kind == "pcsc"


def test_the_settings_choose_pkcs11_and_the_command_line_wins() -> None:
    chosen = choose_backend(settings=_settings("pkcs11", "/opt/cps.so"))
    assert (chosen.kind, chosen.pkcs11_module) == ("pkcs11", "/opt/cps.so")
    assert choose_backend("/other.so", settings=_settings("pkcs11", "/opt/cps.so")).pkcs11_module == "/other.so"
    assert choose_backend(force_pcsc=True, settings=_settings("pkcs11", "/opt/cps.so")).kind == "pcsc"
    assert choose_backend("/usr/lib/x.so", settings=Settings()).kind == "pkcs11"


def test_contradictions_are_said_in_french() -> None:
    with pytest.raises(UserError, match="pas les deux"):
        choose_backend("/x.so", force_pcsc=True, settings=Settings())
    with pytest.raises(UserError, match="sans indiquer le module"):
        choose_backend(settings=_settings("pkcs11", ""))


def test_the_service_of_each_back_end(tmp_path) -> None:
    from lap_app.card import CardService
    from lap_app.card.pkcs11 import Pkcs11CardService

    pkcs11 = card_service_for(choose_backend(str(tmp_path / "absent.so"), settings=Settings()))
    assert isinstance(pkcs11, Pkcs11CardService) and pkcs11.snapshot() == []
    assert "introuvable" in pkcs11.service_error  # what the GUI's reader line shows
    pcsc = card_service_for(choose_backend(settings=Settings()))
    assert type(pcsc) is CardService and pcsc.use_pcsc
    pcsc.close()
