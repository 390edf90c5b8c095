"""Client of the DMP feed: file an ordonnance's PDF, list a patient's documents, fetch one.

It rides on an ``HttpBaseClient``: the same TLS context, card token, installation credential
and retry policy (filing is a PUT with a document id derived from the prescription number,
hence idempotent and safely retried).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lap_app.base_client import dmp_protocol as wire
from lap_app.base_client.client import HttpBaseClient
from lap_app.base_client.errors import BaseRefused
from lap_app.i18n import _


@dataclass(frozen=True, slots=True)
class Filing:
    document_id: str
    number: str
    patient: str
    filed_at: float
    replayed: bool  # the DMP already held this very document


@dataclass(frozen=True, slots=True)
class DmpDocument:
    document_id: str
    number: str
    author: str
    author_name: str
    title: str
    date: str
    size: int
    filed_at: float


class DmpClient:
    def __init__(self, base: HttpBaseClient) -> None:
        self.base = base

    def file(self, document_id: str, reference: dict[str, Any]) -> Filing:
        response = self.base._request("PUT", f"{wire.DMP_PATH}/documents/{quote(document_id, safe='')}",
                                      json={"documentReference": reference})
        body = response.json()
        return Filing(body["id"], body["number"], body["patient"], float(body["filed_at"]), response.status_code == 200)

    def documents(self, ins: str) -> list[DmpDocument]:
        body = self.base._request("GET", f"{wire.DMP_PATH}/patients/{quote(ins, safe='')}/documents").json()
        return [DmpDocument(d["id"], d["number"], d["author"], d["author_name"], d["title"], d["date"],
                            int(d["size"]), float(d["filed_at"])) for d in body["documents"]]

    def document(self, document_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.base._request(
            "GET", f"{wire.DMP_PATH}/documents/{quote(document_id, safe='')}", lookup=True).json()
        return body

    def pdf(self, document_id: str) -> bytes:
        """The filed PDF, checked against the hash the DocumentReference declares."""
        reference = self.document(document_id)
        try:
            pdf = wire.attachment_pdf(reference)
        except ValueError:
            raise BaseRefused(502, "bad_document", _("Document du DMP illisible")) from None
        declared = wire.attachment(reference).get("hash")
        if declared is not None and declared != wire.pdf_hash(pdf):
            raise BaseRefused(502, "bad_document", _("Document du DMP altéré : empreinte incorrecte"))
        return pdf
