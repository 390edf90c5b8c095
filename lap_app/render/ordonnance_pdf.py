"""The paper ordonnance as a PDF (reportlab canvas, deterministic output).

Page layout, top to bottom: prescriber (left) and place, date and patient (right); the
lines, in framed ALD / hors-ALD zones on a bizone ordonnance (cerfa 12708); the footer with
the QR code (bottom left), the number in clear, the patient notice and the signature area;
"page x/y". Header and footer repeat on every page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas

from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import format_prescription_number, prescription_number_problem
from lap_app.domain.kinds import PAPER_ONLY_REASONS, OrdonnanceKind
from lap_app.domain.model import Ordonnance, Zone
from lap_app.i18n import N_, _
from lap_app.render import fonts
from lap_app.render.geometry import Geometry, geometry_for, leading
from lap_app.render.pagination import PagePlan, Segment, paginate
from lap_app.render.qr import QUIET_ZONE, draw_qr, prescription_qr
from lap_app.render.textblocks import Block, Run, any_block, fit_size, wrap
from lap_app.render.wording import (
    patient_lines,
    place_and_date,
    prescriber_identifier,
    prescriber_lines,
)

ZONE_HEADINGS = {
    Zone.ALD: N_("Prescriptions relatives au traitement de l'affection de longue durée reconnue"),
    Zone.HORS_ALD: N_("Prescriptions SANS RAPPORT avec l'affection de longue durée"),
}
NOTICE = N_(
    "Ordonnance numérique : cette ordonnance est enregistrée auprès de l'Assurance Maladie. "
    "Le pharmacien ou le professionnel qui l'exécute la lit en scannant le QR code ou en saisissant "
    "son numéro. Votre médecin peut consulter ce qui vous a été délivré ; vous pouvez vous y "
    "opposer auprès de lui ou de votre caisse d'assurance maladie."
)
OPPOSITION = N_(
    "Le patient s'est opposé à ce que le prescripteur consulte les informations de délivrance "
    "de cette ordonnance."
)
PAPER_HEADING = N_("Ordonnance papier (sans ordonnance numérique)")
# R.4073-2 allows paper for several reasons (service down, patient not identified…): the
# mention states the one given, without presuming it.
PAPER_NOTICE = N_("Motif de l'ordonnance papier (art. R.4073-2 du code de la santé publique) : {reason}")
DEFAULT_OFFLINE_REASON = N_("service de l'ordonnance numérique indisponible")
PAPER_ONLY_HEADING = N_("Ordonnance papier : sans numéro ni QR code")
# The title under the header tells at a glance who the ordonnance is for (none for medicines,
# the ordonnance every GP's patient knows).
KIND_TITLES = {
    OrdonnanceKind.DISPOSITIFS: N_("Ordonnance de dispositifs médicaux"),
    OrdonnanceKind.BIOLOGIE: N_("Ordonnance d'analyses de biologie médicale"),
    OrdonnanceKind.SOINS_INFIRMIERS: N_("Ordonnance de soins infirmiers"),
    OrdonnanceKind.KINESITHERAPIE: N_("Ordonnance de masso-kinésithérapie"),
    OrdonnanceKind.ORTHOPHONIE: N_("Ordonnance d'orthophonie"),
    OrdonnanceKind.ORTHOPTIE: N_("Ordonnance d'orthoptie"),
    OrdonnanceKind.PODOLOGIE: N_("Ordonnance de pédicurie-podologie"),
    OrdonnanceKind.IMAGERIE: N_("Ordonnance d'imagerie médicale"),
    OrdonnanceKind.TRANSPORT: N_("Prescription médicale de transport"),
}
GREY_BAND = 0.90


@dataclass(slots=True)
class HeaderPlan:
    name: list[str]  # wrapped: a long name takes two lines rather than being cut
    prescriber: list[str]
    identifier: tuple[str, str]
    date_line: str
    patient_name: list[str]
    patient: list[str]
    left_width: float
    right_width: float
    height: float
    kind_title: str = ""


@dataclass(slots=True)
class FooterPlan:
    middle: list[Run]  # number label, number, notice or paper mention, opposition
    middle_x: float
    middle_width: float
    height: float
    page_line_height: float


def render_ordonnance_pdf(
    ordonnance: Ordonnance,
    page_size: str = "A4",
    *,
    offline_reason: str | None = None,
    duplicate: bool = False,
) -> bytes:
    """Render the paper ordonnance. With ``ordonnance.number`` None the page carries no QR
    code and states that it is a paper ordonnance and why (``offline_reason``); the reason
    is ignored when a number is present. ``duplicate`` adds a "DUPLICATA" watermark."""
    fonts.register_fonts()
    geometry = geometry_for(page_size)
    number = ordonnance.number
    if number is not None:  # the QR code must never carry a number a pharmacist cannot use
        problem = prescription_number_problem(number)
        if problem:
            raise UserError(_("Impossible d'imprimer l'ordonnance : {problem}").format(problem=problem))
    header = _plan_header(ordonnance, geometry)
    footer = _plan_footer(ordonnance, geometry, offline_reason)
    qr_matrix = prescription_qr(number).matrix if number else None
    body_top = geometry.height - geometry.margin - header.height
    body_bottom = geometry.margin + footer.height + geometry.gap
    pages = _plan_pages(ordonnance, geometry, body_top - body_bottom)

    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(geometry.width, geometry.height),
        invariant=1,  # no timestamp nor random id: the DMP copy is the printed one, byte for byte
        pageCompression=1,
        initialFontName=fonts.REGULAR,  # else reportlab lists an unembedded Helvetica
        initialFontSize=geometry.text_size,
    )
    title = _("Ordonnance")
    if number:
        title = f"{title} {format_prescription_number(number)}"
    canvas.setTitle(title)
    canvas.setAuthor(ordonnance.prescriber.display_name)
    canvas.setSubject(_("Ordonnance de {patient}").format(patient=ordonnance.patient.display_name))
    canvas.setCreator("lap-app")
    shared = len(pages) > 1  # header and footer drawn once, as forms every page shows
    for index, page in enumerate(pages, start=1):
        _furniture(canvas, "header", shared, lambda: _draw_header(canvas, geometry, header))
        _draw_body(canvas, geometry, page, body_top, body_bottom, ordonnance.is_bizone)
        _furniture(canvas, "footer", shared, lambda: _draw_footer(canvas, geometry, footer, qr_matrix))
        _draw_page_number(canvas, geometry, index, len(pages))
        if duplicate:  # on top, translucent: nothing printed can hide it
            _draw_watermark(canvas, geometry)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- planning -------------------------------------------------------------------------


def _wrapped(lines: list[str], font: str, size: float, width: float) -> list[str]:
    return [piece for line in lines for piece in wrap(line, font, size, width)]


def _plan_header(ordonnance: Ordonnance, g: Geometry) -> HeaderPlan:
    left_width = g.content_width * 0.54
    right_width = g.content_width - left_width - g.gap
    prescriber = ordonnance.prescriber
    patient = ordonnance.patient
    name = wrap(prescriber.display_name, fonts.BOLD, g.name_size, left_width)
    p_lines = _wrapped(prescriber_lines(prescriber), fonts.REGULAR, g.text_size, left_width)
    left_height = (
        leading(g.name_size) * len(name)
        + len(p_lines) * leading(g.text_size)
        + leading(g.text_size)  # identifier line
        + g.barcode_height
        + g.size(4)
    )
    patient_name = wrap(patient.display_name, fonts.BOLD, g.dci_size, right_width)
    pat_lines = _wrapped(patient_lines(patient, ordonnance.date), fonts.REGULAR, g.text_size, right_width)
    right_height = (
        leading(g.text_size) * 2.6  # date line and the space under it
        + leading(g.small_size)
        + leading(g.dci_size) * len(patient_name)
        + len(pat_lines) * leading(g.text_size)
    )
    kind_title = _(KIND_TITLES[ordonnance.kind]) if ordonnance.kind in KIND_TITLES else ""
    title_height = leading(g.heading_size) * 1.8 if kind_title else 0.0
    return HeaderPlan(
        kind_title=kind_title,
        name=name,
        prescriber=p_lines,
        identifier=prescriber_identifier(prescriber),
        date_line=place_and_date(ordonnance),
        patient_name=patient_name,
        patient=pat_lines,
        left_width=left_width,
        right_width=right_width,
        height=max(left_height, right_height) + g.gap * 1.5 + title_height,
    )


def _plan_footer(ordonnance: Ordonnance, g: Geometry, offline_reason: str | None) -> FooterPlan:
    paper = ordonnance.number is None
    if paper:  # the mention sits in a frame where the QR code would be
        middle_x = g.margin + g.size(6)
        middle_width = g.content_width - g.signature_width - g.gap - 2 * g.size(6)
    else:
        middle_x = g.margin + g.qr_size + g.size(2)
        middle_width = g.content_width - g.qr_size - g.size(2) - g.signature_width - g.gap
    runs: list[Run] = []

    def add(text: str, font: str, size: float) -> None:
        runs.extend(Run(piece, font, size) for piece in wrap(text, font, size, middle_width))

    if paper and not ordonnance.kind.registrable:  # imaging, transport: never numbered
        add(_(PAPER_ONLY_HEADING), fonts.BOLD, g.body_size)
        add(_(PAPER_ONLY_REASONS[ordonnance.kind]), fonts.REGULAR, g.notice_size)
    elif paper:
        reason = (offline_reason or "").strip() or _(DEFAULT_OFFLINE_REASON)
        add(_(PAPER_HEADING), fonts.BOLD, g.body_size)
        add(_(PAPER_NOTICE).format(reason=reason), fonts.REGULAR, g.notice_size)
    else:
        add(_("N° d'ordonnance"), fonts.REGULAR, g.small_size)
        add(format_prescription_number(ordonnance.number or ""), fonts.BOLD, g.number_size)
        add(_(NOTICE), fonts.REGULAR, g.notice_size)
    if ordonnance.opposition:
        add(_(OPPOSITION), fonts.BOLD, g.notice_size)
    middle_height = sum(run.height for run in runs) + (2 * g.size(6) if paper else 0)
    signature_height = g.qr_size
    height = max(g.qr_size, middle_height, signature_height)
    page_line_height = leading(g.small_size)
    return FooterPlan(runs, middle_x, middle_width, height + page_line_height, page_line_height)


def _plan_pages(ordonnance: Ordonnance, g: Geometry, body_height: float) -> list[PagePlan]:
    bizone = ordonnance.is_bizone
    width = g.content_width - (2 * g.zone_padding if bizone else 0)
    zones: list[tuple[Zone | None, list[Block]]] = []
    number = 0

    def blocks_of(lines: list[Any]) -> list[Block]:  # lines of any kind (medicine, biology, act…)
        nonlocal number
        blocks = []
        for line in lines:
            number += 1
            blocks.append(any_block(line, number, width, g))
        return blocks

    if bizone:
        for zone in (Zone.ALD, Zone.HORS_ALD):
            zones.append((zone, blocks_of(ordonnance.entries_in(zone))))
        heading_height = _heading_height(g)
    else:
        zones.append((None, blocks_of([line for _f, _i, line in ordonnance.every_line()])))
        heading_height = 0.0
    return paginate(zones, body_height - g.size(2), heading_height, leading(g.body_size) * 1.5)


def _heading_height(g: Geometry) -> float:
    return leading(g.heading_size) * 2 + g.size(4)


# --- drawing --------------------------------------------------------------------------


def _furniture(canvas: Canvas, name: str, shared: bool, draw: Callable[[], None]) -> None:
    """What every page repeats. ``shared``: drawn into a form XObject by the first page and
    shown by each page (its text, QR path and barcode written and compressed once)."""
    if not shared:
        draw()
        return
    if not canvas.hasForm(name):
        canvas.beginForm(name)
        draw()
        canvas.endForm()
    canvas.doForm(name)


def _draw_watermark(canvas: Canvas, g: Geometry) -> None:
    text = _("DUPLICATA")
    angle = math.degrees(math.atan2(g.height, g.width))
    diagonal = math.hypot(g.width, g.height)
    size = 0.62 * diagonal / fonts.text_width(text, fonts.BOLD, 1)
    canvas.saveState()
    canvas.setFillGray(0.55)
    canvas.setFillAlpha(0.3)
    canvas.translate(g.width / 2, g.height / 2)
    canvas.rotate(angle)
    canvas.setFont(fonts.BOLD, size)
    canvas.drawCentredString(0, -size * 0.35, text)
    canvas.restoreState()


def _draw_header(canvas: Canvas, g: Geometry, h: HeaderPlan) -> None:
    top = g.height - g.margin
    x = g.margin
    y = top - g.name_size
    lines = []
    for position, line in enumerate(h.name):
        if position:
            y -= leading(g.name_size)
        lines.append((x, y, line, fonts.BOLD, g.name_size))
    y -= leading(g.name_size) - leading(g.text_size)
    for line in h.prescriber:
        y -= leading(g.text_size)
        lines.append((x, y, line, fonts.REGULAR, g.text_size))
    label, value = h.identifier
    y -= leading(g.text_size)
    lines.append((x, y, f"{label} : {value}", fonts.BOLD, g.text_size))
    if value.isdigit():
        barcode = Code128(
            value, barHeight=g.barcode_height, barWidth=g.size(0.85), humanReadable=0, quiet=0
        )
        barcode.drawOn(canvas, x, y - g.size(3) - g.barcode_height)

    right = g.width - g.margin
    right_x = right - h.right_width
    y = top - g.text_size
    date_width = fonts.text_width(h.date_line, fonts.REGULAR, g.text_size)
    lines.append((right - date_width, y, h.date_line, fonts.REGULAR, g.text_size))
    y -= leading(g.text_size) * 2
    patient_label_y = y
    for line in h.patient_name:
        y -= leading(g.dci_size)
        lines.append((right_x, y, line, fonts.BOLD, g.dci_size))
    for line in h.patient:
        y -= leading(g.text_size)
        lines.append((right_x, y, line, fonts.REGULAR, g.text_size))
    _draw_lines(canvas, lines)
    canvas.setFillGray(0.35)
    canvas.setFont(fonts.REGULAR, g.small_size)
    canvas.drawString(right_x, patient_label_y, _("Patient"))
    canvas.setFillGray(0)

    title_height = leading(g.heading_size) * 1.8 if h.kind_title else 0.0
    rule_y = top - h.height + g.gap * 0.75 + title_height
    canvas.setLineWidth(0.6)
    canvas.line(g.margin, rule_y, right, rule_y)
    if h.kind_title:
        size = fit_size(h.kind_title.upper(), fonts.BOLD, g.heading_size * 1.15, g.content_width)
        canvas.setFont(fonts.BOLD, size)
        canvas.drawCentredString(g.width / 2, rule_y - leading(g.heading_size) * 1.25, h.kind_title.upper())


def _draw_body(
    canvas: Canvas, g: Geometry, page: PagePlan, top: float, bottom: float, bizone: bool
) -> None:
    y = top
    for index, segment in enumerate(page.segments):
        last = index == len(page.segments) - 1
        if bizone:
            y = _draw_zone(canvas, g, segment, y, bottom, last)
        else:
            y = _draw_blocks(canvas, g, segment.blocks, g.margin, y)


def _draw_zone(
    canvas: Canvas, g: Geometry, segment: Segment, top: float, bottom: float, last: bool
) -> float:
    """A framed zone with its heading band; the last zone of a page reaches the footer."""
    if segment.zone is None:  # only the segments of a bizone ordonnance are framed, and each has its zone
        raise ValueError("a framed segment needs its zone")
    heading = _(ZONE_HEADINGS[segment.zone])
    if segment.continued:
        heading = f"{heading} {_('(suite)')}"
    band = _heading_height(g) - g.size(4)
    canvas.saveState()
    canvas.setFillGray(GREY_BAND)
    canvas.rect(g.margin, top - band, g.content_width, band, stroke=0, fill=1)
    canvas.restoreState()
    size = fit_size(heading, fonts.BOLD, g.heading_size, g.content_width - 2 * g.zone_padding)
    canvas.setFont(fonts.BOLD, size)
    canvas.drawCentredString(g.width / 2, top - band / 2 - size * 0.35, heading)
    y = top - band - g.size(4)
    y = _draw_blocks(canvas, g, segment.blocks, g.margin + g.zone_padding, y)
    if not segment.blocks:
        y -= leading(g.body_size) * 1.5
    frame_bottom = bottom if last else y
    canvas.setLineWidth(0.8)
    canvas.rect(g.margin, frame_bottom, g.content_width, top - frame_bottom, stroke=1, fill=0)
    return frame_bottom - g.size(6)


def _draw_lines(canvas: Canvas, lines: list[tuple[float, float, str, str, float]]) -> None:
    """(x, baseline, text, font, size) lines in one text object: a drawString each would open,
    measure and close its own. The font is set only when it changes."""
    text = canvas.beginText()
    current = None
    for x, y, string, font, size in lines:
        if (font, size) != current:
            text.setFont(font, size)
            current = (font, size)
        text.setTextOrigin(x, y)
        text.textLine(string)
    canvas.drawText(text)


def _draw_blocks(canvas: Canvas, g: Geometry, blocks: list[Block], x: float, y: float) -> float:
    lines = []
    for block in blocks:
        for position, run in enumerate(block.runs):
            y -= run.height
            baseline = y + (run.height - run.size) * 0.5
            if position == 0 and block.label:
                lines.append((x, baseline, block.label, fonts.BOLD, run.size))
            lines.append((x + block.indent, baseline, run.text, run.font, run.size))
        y -= block.space_after
    _draw_lines(canvas, lines)
    return y


def _draw_footer(
    canvas: Canvas,
    g: Geometry,
    f: FooterPlan,
    qr_matrix: tuple[bytearray, ...] | None,
) -> None:
    bottom = g.margin + f.page_line_height
    top = bottom + f.height - f.page_line_height
    canvas.setLineWidth(0.6)
    canvas.line(g.margin, top + g.gap / 2, g.width - g.margin, top + g.gap / 2)
    if qr_matrix:  # modules aligned on the margin, the quiet zone lying in it
        quiet = g.qr_size * QUIET_ZONE / (len(qr_matrix) + 2 * QUIET_ZONE)
        draw_qr(canvas, qr_matrix, g.margin - quiet, top - g.qr_size, g.qr_size)
    y = top
    if qr_matrix is None:  # the paper mention sits in a frame where the QR code would be
        y -= g.size(6)
        canvas.setLineWidth(1.2)
        frame_width = f.middle_width + 2 * g.size(6)
        canvas.rect(g.margin, bottom, frame_width, top - bottom, stroke=1, fill=0)
    lines = []
    for run in f.middle:
        y -= run.height
        lines.append((f.middle_x, y + (run.height - run.size) * 0.5, run.text, run.font, run.size))
    _draw_lines(canvas, lines)

    sig_x = g.width - g.margin - g.signature_width
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)
    canvas.rect(sig_x, bottom, g.signature_width, top - bottom, stroke=1, fill=0)
    canvas.setDash()
    canvas.setFillGray(0.35)
    canvas.setFont(fonts.REGULAR, g.small_size)
    canvas.drawString(sig_x + g.size(3), top - g.small_size - g.size(2), _("Signature du prescripteur"))
    canvas.setFillGray(0)


def _draw_page_number(canvas: Canvas, g: Geometry, page: int, pages: int) -> None:
    canvas.setFillGray(0.35)
    canvas.setFont(fonts.REGULAR, g.small_size)
    canvas.drawRightString(g.width - g.margin, g.margin, _("page {page}/{pages}").format(page=page, pages=pages))
    canvas.setFillGray(0)
