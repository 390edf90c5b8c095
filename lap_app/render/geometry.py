"""Page sizes and the measures derived from them (A4 and A5 share one layout, scaled)."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from lap_app.domain.errors import UserError
from lap_app.i18n import _


@dataclass(frozen=True, slots=True)
class Geometry:
    name: str
    width: float
    height: float
    margin: float
    scale: float  # font and spacing scale relative to A4
    qr_size: float  # side of the QR code including its quiet zone
    signature_width: float
    barcode_height: float

    def size(self, points: float) -> float:
        return points * self.scale

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin

    # Type sizes (points), scaled.
    @property
    def name_size(self) -> float:
        return self.size(13)

    @property
    def text_size(self) -> float:
        return self.size(9)

    @property
    def dci_size(self) -> float:
        return self.size(10.5)

    @property
    def body_size(self) -> float:
        return self.size(9.5)

    @property
    def small_size(self) -> float:
        return self.size(7.5)

    @property
    def notice_size(self) -> float:
        return max(6.0, self.size(7))  # the patient must still be able to read it on A5

    @property
    def heading_size(self) -> float:
        return self.size(8.5)

    @property
    def number_size(self) -> float:
        return self.size(12.5)

    @property
    def gap(self) -> float:
        return self.size(8)

    @property
    def zone_padding(self) -> float:
        return self.size(5)


_GEOMETRIES = {
    "A4": Geometry("A4", A4[0], A4[1], 14 * mm, 1.0, 27 * mm, 58 * mm, 7 * mm),
    "A5": Geometry("A5", A5[0], A5[1], 8 * mm, 0.8, 22 * mm, 40 * mm, 5.5 * mm),
}


def geometry_for(page_size: str) -> Geometry:
    geometry = _GEOMETRIES.get(str(page_size).upper())
    if geometry is None:
        raise UserError(
            _("Format de page inconnu : {size} (formats possibles : A4, A5)").format(size=page_size)
        )
    return geometry


def leading(size: float) -> float:
    """Baseline-to-baseline distance for a type size."""
    return size * 1.28
