"""The prescriber's follow-up of an ordonnance of any kind (medicines, devices, biology,
nursing, paramedical sessions), fetched from the base with the prescriber's card: what was
executed, by which profession and when, each line's « n sur N » and « période k sur K », what
was adjusted and how the prescriber's agreement was obtained.

Unless the patient objected: then the base says so (403 ``patient_opposition``) and the
follow-up holds nothing but that statement. The GUI's history and ``lap-app dispensing`` both
show ``FollowUp.text_lines()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.base_client.client import wire_status
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import format_prescription_number, normalize_prescription_number
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import N_, _
from lap_app.storage import LocalStore

OBJECTION_STATEMENT = N_("Le patient s'est opposé à ce que son médecin consulte l'exécution de cette ordonnance : "
                         "aucune information sur sa délivrance ou sa réalisation n'est communiquée.")
CANCELLED_AFTER_EXECUTIONS = N_("Ordonnance annulée par le prescripteur : les exécutions ci-dessous ont été "
                                "enregistrées avant l'annulation ; plus rien ne peut être exécuté.")
PROFESSION_LABELS = {
    "21": N_("pharmacien"),
    "60": N_("infirmier"),
    "70": N_("masseur-kinésithérapeute"),
    "80": N_("pédicure-podologue"),
    "91": N_("orthophoniste"),
    "92": N_("orthoptiste"),
    "PSDM": N_("fournisseur de dispositifs médicaux"),
    "10": N_("médecin"),
}
BIOLOGIST = N_("biologiste")
UNIT_LABELS = {"medicament": N_("boîte(s)"), "dispositif": N_("unité(s)"), "analyse": N_("réalisation(s)"),
               "soin": N_("acte(s)"), "seance": N_("séance(s)")}
AGREEMENT_LABELS = {"telephone": N_("par téléphone"), "messagerie": N_("par messagerie sécurisée"),
                    "autre": N_("par un autre moyen")}
CHANGE_LABELS = {"dose": N_("dose"), "forme": N_("forme"), "quantite": N_("quantité"),
                 "seances": N_("nombre de séances"), "produit": N_("produit remplacé par")}
SUPPLY_LABELS = {"achat": N_("achat"), "location": N_("location")}


@dataclass(frozen=True, slots=True)
class FollowedLine:
    line: int
    type: str  # medicament | dispositif | analyse | soin | seance
    text: str
    prescribed: float | None  # what the line allows in all (after an agreed adjustment)
    done: float
    period: int | None = None  # the period reached (« période k sur K »), for renewals and sequenced care
    periods: int | None = None
    next_from: str | None = None  # ISO day from which the next period may be carried out


@dataclass(frozen=True, slots=True)
class Execution:
    line: int
    done: bool
    amount: float
    date: str  # ISO day
    profession: str  # the prescrit's profession, in words
    by: str  # the prescrit's RPPS number
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Adjustment:
    line: int
    changes: tuple[tuple[str, str], ...]  # (field, new value)
    mode: str  # telephone | messagerie | autre
    agreed_at: str | None  # ISO date-time
    given_by: str | None
    profession: str
    by: str
    recorded_at: float


@dataclass(frozen=True, slots=True)
class FollowUp:
    number: str
    objected: bool  # the patient objected: nothing else is known
    status: OrdonnanceStatus | None = None
    kind: str | None = None
    lines: list[FollowedLine] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    cancelled_at: float | None = None  # when the prescriber cancelled it (epoch seconds)

    def text_lines(self) -> list[str]:
        """The follow-up in French, one entry per line of text."""
        title = _("Suivi de l'ordonnance {number}").format(number=format_prescription_number(self.number))
        if self.objected:
            return [title, _(OBJECTION_STATEMENT)]
        status = self.status.label if self.status is not None else "?"
        cancelled = self.status is OrdonnanceStatus.CANCELLED
        if cancelled and self.cancelled_at is not None:
            moment = dt.datetime.fromtimestamp(self.cancelled_at).strftime("%d/%m/%Y %H:%M")  # local time
            status = _("annulée le {moment}").format(moment=moment)
        out = [_("{title} ({kind}) : {status}").format(title=title, kind=_kind_label(self.kind), status=status)]
        if cancelled and self.executions:  # the base refuses any execution once cancelled
            out.append(_(CANCELLED_AFTER_EXECUTIONS))
        for line in self.lines:
            out.append(_line_heading(line))
            out += ["    " + _execution_text(line.type, e) for e in self.executions if e.line == line.line]
            out += ["    " + _adjustment_text(a) for a in self.adjustments if a.line == line.line]
        if not self.executions:
            out.append(_("Rien n'a été exécuté avant l'annulation.") if cancelled else _("Rien n'a encore été exécuté."))
        return out

    def as_json(self) -> dict[str, Any]:
        if self.objected:
            return {"number": self.number, "objected": True, "message": _(OBJECTION_STATEMENT)}
        return {"number": self.number, "objected": False, "kind": self.kind,
                "status": self.status.value if self.status else None, "cancelled_at": self.cancelled_at,
                "lines": [{"line": x.line, "type": x.type, "text": x.text, "prescribed": x.prescribed, "done": x.done,
                           "period": x.period, "periods": x.periods, "next_from": x.next_from} for x in self.lines],
                "executions": [{"line": e.line, "done": e.done, "amount": e.amount, "date": e.date,
                                "profession": e.profession, "by": e.by, "detail": e.detail} for e in self.executions],
                "adjustments": [{"line": a.line, "changes": [{"field": f, "value": v} for f, v in a.changes],
                                 "agreement": {"mode": a.mode, "at": a.agreed_at, "given_by": a.given_by},
                                 "profession": a.profession, "by": a.by, "recorded_at": a.recorded_at}
                                for a in self.adjustments]}


def consult_follow_up(client: EPrescriptionBase, number: str, store: LocalStore | None = None) -> FollowUp:
    """The follow-up from the base (the client holds the prescriber's token); the local store
    learns the status, unless the patient objected. Any other refusal: ``UserError``."""
    number = normalize_prescription_number(number)
    try:
        body: dict[str, Any] = client.follow_up(number)
    except BaseRefused as error:
        if error.code == "patient_opposition":
            return FollowUp(number, objected=True, status=_forget_progress(store, number))
        raise UserError(_("Consultation refusée : {reason}").format(reason=error.reason)) from None
    view = follow_up_from_wire(number, body)
    if store is not None and view.status is not None and store.by_number(number) is not None:
        store.set_status(number, view.status)
    return view


def _forget_progress(store: LocalStore | None, number: str) -> OrdonnanceStatus | None:
    """A consent withdrawn after the consultation: the progress this workstation learnt before
    is no longer shown either (« registered », as the base now answers); None when unchanged."""
    stored = store.by_number(number) if store is not None else None
    if store is None or stored is None or not stored.status.tells_dispensing:
        return None
    store.set_status(number, OrdonnanceStatus.REGISTERED)
    return OrdonnanceStatus.REGISTERED


def follow_up_from_wire(number: str, body: dict[str, Any]) -> FollowUp:
    kind = str(body.get("kind") or "")
    return FollowUp(
        number, objected=False, status=wire_status(body), kind=kind,
        lines=[FollowedLine(int(x["line"]), str(x["type"]), str(x["text"]), x.get("prescribed"), float(x["done"]),
                            x.get("period"), x.get("periods"), x.get("next_from")) for x in body.get("lines", [])],
        executions=[Execution(int(e["line"]), bool(e["done"]), float(e["amount"]), str(e["date"]),
                              profession_label(str(e["profession"]), kind), str(e["by"]), dict(e.get("detail") or {}))
                    for e in body.get("executions", [])],
        adjustments=[Adjustment(int(a["line"]), tuple((str(c["field"]), str(c["value"])) for c in a["changes"]),
                                str(a["agreement"].get("mode") or ""), a["agreement"].get("at"),
                                a["agreement"].get("given_by"), profession_label(str(a["profession"]), kind),
                                str(a["by"]), float(a["recorded_at"])) for a in body.get("adjustments", [])],
        cancelled_at=float(body["cancelled_at"]) if body.get("cancelled_at") is not None else None)


def profession_label(code: str, kind: str) -> str:
    """A biologist is a médecin or pharmacien carrying out a biology ordonnance."""
    if kind == "biologie" and code in ("10", "21"):
        return _(BIOLOGIST)
    return _(PROFESSION_LABELS[code]) if code in PROFESSION_LABELS else code


def _kind_label(kind: str | None) -> str:
    known = next((k for k in OrdonnanceKind if k.value == kind), None)
    return known.label if known is not None else kind or "?"


def french_day(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def _french_moment(iso: str | None) -> str:
    if not iso:
        return "?"
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")


def _line_heading(line: FollowedLine) -> str:
    unit = _(UNIT_LABELS.get(line.type, N_("unité(s)")))
    if line.prescribed is None and line.type == "medicament":  # the doctor gave a duration, no number of boxes
        text = _("Ligne {n} · {text} : {done:g} {unit} (nombre de boîtes non précisé)").format(
            n=line.line, text=line.text, done=line.done, unit=unit)
    elif line.prescribed is None:
        text = _("Ligne {n} · {text} : {done:g} {unit}").format(n=line.line, text=line.text, done=line.done, unit=unit)
    else:
        text = _("Ligne {n} · {text} : {done:g} sur {prescribed:g} {unit}").format(
            n=line.line, text=line.text, done=line.done, prescribed=line.prescribed, unit=unit)
    if line.periods is not None and line.periods > 1:
        text += _(" — période {k} sur {periods}").format(k=line.period or 0, periods=line.periods)
        if line.next_from:
            text += _(", la suivante à partir du {day}").format(day=french_day(line.next_from))
    return text


def _execution_text(line_type: str, e: Execution) -> str:
    who = _("le {day} par {profession}").format(day=french_day(e.date), profession=e.profession)
    if not e.done:
        return _("✗ non réalisé {who} : {reason}").format(who=who, reason=e.detail.get("reason") or "?")
    if line_type == "medicament":
        text = _("✓ {amount:g} boîte(s) délivrée(s) {who}").format(amount=e.amount, who=who)
    elif line_type == "dispositif":
        text = _("✓ {amount:g} unité(s) délivrée(s) {who}").format(amount=e.amount, who=who)
    elif line_type == "analyse":
        text = _("✓ réalisée {who}").format(who=who) if e.amount == 1 else _("✓ {amount:g} réalisations {who}").format(
            amount=e.amount, who=who)
    elif line_type == "seance":
        text = _("✓ {amount:g} séance(s) {who}").format(amount=e.amount, who=who)
    else:
        text = _("✓ {amount:g} acte(s) {who}").format(amount=e.amount, who=who)
    extras = []
    if e.detail.get("act"):
        extras.append(str(e.detail["act"]))
    if e.detail.get("supply") in SUPPLY_LABELS:
        extras.append(_(SUPPLY_LABELS[str(e.detail["supply"])]))
    if e.detail.get("until"):
        extras.append(_("jusqu'au {day}").format(day=french_day(str(e.detail["until"]))))
    if e.detail.get("substituted"):
        extras.append(_("substitué"))
    return text + (" (" + ", ".join(extras) + ")" if extras else "")


def _adjustment_text(a: Adjustment) -> str:
    changes = ", ".join(_("{field} : {value}").format(field=_(CHANGE_LABELS[f]) if f in CHANGE_LABELS else f, value=v)
                        for f, v in a.changes)
    mode = _(AGREEMENT_LABELS[a.mode]) if a.mode in AGREEMENT_LABELS else a.mode
    return _("✎ ajustée par {profession} ({changes}) avec l'accord du prescripteur obtenu {mode} le {at}, "
             "donné par {given_by}").format(profession=a.profession, changes=changes, mode=mode,
                                           at=_french_moment(a.agreed_at), given_by=a.given_by or "?")

