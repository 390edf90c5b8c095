"""A test that needs a service (pcscd, CUPS, PostgreSQL, SoftHSM2) calls ``require_service``: it
skips on a machine without the service, and fails under CI=true, where the service must run.

A plain module (tests/ is on the import path), so that a suite's own module imports it whatever
the ``conftest`` of its folder; tests/conftest.py exposes the same functions.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip locally when ``what`` is missing, but fail in CI, where it must be running."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI and is not available", pytrace=False)
    pytest.skip(f"{what} not available on this machine")
