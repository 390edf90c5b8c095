"""Rendered ordonnances shared by the renderer tests, rendered once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import render_samples as samples


@pytest.fixture(scope="session")
def render():
    from lap_app.render import render_ordonnance_pdf

    return render_ordonnance_pdf


@pytest.fixture(scope="session")
def bizone_pdf(render) -> bytes:
    return render(samples.ordonnance())


@pytest.fixture(scope="session")
def a5_pdf(render) -> bytes:
    return render(samples.ordonnance(), "A5")


@pytest.fixture(scope="session")
def long_pdf(render) -> bytes:
    return render(samples.plain(25, opposition=True))


@pytest.fixture(scope="session")
def offline_pdf(render) -> bytes:
    return render(samples.plain(3, number=None), offline_reason="connexion Internet interrompue")
