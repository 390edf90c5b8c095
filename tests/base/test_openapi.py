"""docs/openapi.json is the document the base serves (regenerate: lap-app base openapi -o docs/openapi.json)."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_docs_openapi_is_in_sync_with_the_app():
    from lap_app.cli.base_cmd import openapi_document

    assert json.loads(DOC.read_text(encoding="utf-8")) == openapi_document(), \
        "docs/openapi.json is stale: run `lap-app base openapi -o docs/openapi.json`"


def test_served_openapi_matches(base):
    context = ssl.create_default_context(cafile=str(base.ca))
    served = httpx.get(f"{base.url}/openapi.json", verify=context).json()
    assert served == json.loads(DOC.read_text(encoding="utf-8"))
    assert "/v1/prescriptions/{number}" in served["paths"]
