"""The prescrit's side (lab, nurse, physiotherapist, device supplier, pharmacy...): read an
ordonnance by its number, record what was done line by line, adjust a line with the
prescriber's agreement — the adjustment signed by the prescrit's card.

``lap-app prescrit`` and the « Prescrit (démo) » window both call these functions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from lap_app.base_client import BaseRefused, BaseUnavailable, EPrescriptionBase
from lap_app.base_client.client import wire_status
from lap_app.base_client.protocol import ADJUSTMENT_FIELDS, AGREEMENT_MODES, adjustment_content, b64e
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_prescription_number
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _, ngettext
from lap_app.services.follow_up import AGREEMENT_LABELS, CHANGE_LABELS, french_day
from lap_app.storage.execution_journal import ExecutionJournal, PendingExecution


@dataclass(frozen=True, slots=True)
class PrescritLine:
    line: int
    type: str  # medicament | dispositif | analyse | soin | seance
    text: str
    code: str | None
    prescribed: float | None  # what the line allows in all (after the agreed adjustments)
    done: float
    substitution_allowed: bool
    supply: str | None

    @property
    def progress(self) -> str:
        """« 2 sur 10 », or what was done when the line sets no total."""
        if self.prescribed is None and self.type == "medicament":  # a duration, no number of boxes
            return _("{done:g} (nombre de boîtes non précisé)").format(done=self.done)
        if self.prescribed is None:
            return f"{self.done:g}"
        return _("{done:g} sur {total:g}").format(done=self.done, total=self.prescribed)


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    line: int
    done: bool
    amount: float
    date: str
    by: str
    profession: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AdjustmentRecord:
    line: int
    changes: list[dict[str, str]]
    mode: str
    at: str
    given_by: str
    by: str

    def describe(self) -> str:
        """« nombre de séances : 15 ; accord par téléphone de Dr MARTIN le 02/12/2026 »."""
        changes = ", ".join(_("{field} : {value}").format(
            field=_(CHANGE_LABELS[c["field"]]) if c["field"] in CHANGE_LABELS else c["field"], value=c["value"])
            for c in self.changes)
        mode = _(AGREEMENT_LABELS[self.mode]) if self.mode in AGREEMENT_LABELS else self.mode
        return _("{changes} ; accord {mode} de {who} le {day}").format(
            changes=changes, mode=mode, who=self.given_by, day=french_day(self.at))


@dataclass(frozen=True, slots=True)
class PrescritView:
    number: str
    kind: OrdonnanceKind
    status: OrdonnanceStatus
    patient: str
    patient_ins: str | None
    prescriber: str
    lines: list[PrescritLine]
    executions: list[ExecutionRecord]
    adjustments: list[AdjustmentRecord]
    body: dict[str, Any] = field(repr=False)  # the base's answer, for ``--json``

    def done_text(self, line: PrescritLine) -> str:
        """« 2 sur 10 », with the reason when nothing was done and the last record says why."""
        missed = [r for r in self.executions if r.line == line.line and not r.done]
        if missed and not line.done:
            return _("{progress} — non réalisé : {reason}").format(progress=line.progress,
                                                                  reason=missed[-1].detail.get("reason") or "?")
        return line.progress

    def json_summary(self) -> dict[str, Any]:
        return {key: self.body[key] for key in ("number", "kind", "status", "lines", "executions", "adjustments")
                if key in self.body}


@dataclass(frozen=True, slots=True)
class LineExecution:
    """What the prescrit did of one line (1-based): ``count`` sessions, visits, acts, analyses or
    units; medicines in boxes (``quantity``); ``done=False`` with its ``reason``."""

    line: int
    count: int = 1
    quantity: float | None = None
    done: bool = True
    reason: str | None = None
    on: dt.date | None = None
    act: str | None = None
    supply: str | None = None  # achat | location
    until: dt.date | None = None  # the end of a rental
    substituted: bool = False

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "count": self.count}
        if not self.done:
            out.update(done=False, reason=self.reason)
        for key in ("quantity", "act", "supply"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.substituted:
            out["substituted"] = True
        if self.on is not None:
            out["date"] = self.on.isoformat()
        if self.until is not None:
            out["until"] = self.until.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Agreement:
    """The prescriber's agreement: how (``AGREEMENT_MODES``), when, from whom."""

    mode: str
    at: dt.datetime
    given_by: str


def _refused(action: str, error: BaseRefused) -> UserError:
    return UserError(_("{action} impossible : {reason}").format(action=action, reason=error.message))


def bundle_names(bundle: dict[str, Any]) -> tuple[str, str]:
    """(the patient's name, the prescriber's name) as the Bundle spells them."""
    patient = prescriber = ""
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        names = resource.get("name") or [{}]
        label = " ".join([*(names[0].get("prefix") or []), *(names[0].get("given") or []),
                          names[0].get("family", "")]).strip()
        if resource.get("resourceType") == "Patient":
            patient = label
        elif resource.get("resourceType") == "Practitioner":
            prescriber = label
    return patient, prescriber


def view_of(body: dict[str, Any]) -> PrescritView:
    """The base's answer to a read, an execution or an adjustment."""
    from lap_app.services.dmp import bundle_patient_ins

    patient, prescriber = bundle_names(body["bundle"])
    adjustments = [AdjustmentRecord(a["line"], list(a["changes"]), str(a["agreement"].get("mode") or ""),
                                    str(a["agreement"].get("at") or ""), str(a["agreement"].get("given_by") or ""),
                                    a["by"]) for a in body.get("adjustments") or []]
    return PrescritView(
        number=body["number"], kind=OrdonnanceKind(body["kind"]), status=wire_status(body), patient=patient,
        patient_ins=bundle_patient_ins(body["bundle"]), prescriber=prescriber,
        lines=[PrescritLine(x["line"], x["type"], x["text"], x.get("code"), x.get("prescribed"), x["done"],
                            x["substitution_allowed"], x.get("supply")) for x in body["lines"]],
        executions=[ExecutionRecord(r["line"], r["done"], r["amount"], r["date"], r["by"], r["profession"],
                                    dict(r.get("detail") or {})) for r in body["executions"]],
        adjustments=adjustments, body=body)


def read_ordonnance(client: EPrescriptionBase, number: str) -> PrescritView:
    """The ordonnance of ``number`` if the card's profession carries out its kind (else the
    base's French refusal, audited on its side)."""
    number = normalize_prescription_number(number)
    try:
        return view_of(client.prescrit_read(number))
    except BaseRefused as error:
        raise _refused(_("Lecture"), error) from None


def record_execution(client: EPrescriptionBase, number: str, lines: list[LineExecution], *,
                     complete: bool = False, execution_id: str | None = None) -> PrescritView:
    """Record what was done; one id per execution, so that a retry is replayed, never doubled."""
    number = normalize_prescription_number(number)
    if not lines:
        raise UserError(_("Aucune ligne à enregistrer"))
    for item in lines:
        check_line_number(item.line)
        if not item.done and not (item.reason or "").strip():
            raise UserError(_("Ligne {line} non réalisée : indiquez le motif").format(line=item.line))
    try:
        return view_of(client.prescrit_execute(number, execution_id or uuid.uuid4().hex,
                                               [item.payload() for item in lines], complete))
    except BaseRefused as error:
        raise _refused(_("Enregistrement de l'exécution"), error) from None


def rest_of_medicines(view: PrescritView) -> list[LineExecution]:
    """The pharmacy's « Tout délivrer »: one box of each line not dispensed yet (all of them
    when nothing was)."""
    return [LineExecution(line.line, quantity=1.0) for line in view.lines if not line.done]


def check_line_number(line: int) -> None:
    if line < 1:
        raise UserError(_("Numéro de ligne invalide : {line} (les lignes sont numérotées à partir de 1)").format(
            line=line))


def agreement_problems(agreement: Agreement, changes: list[tuple[str, str]]) -> list[str]:
    """What the prescrit must still say before the card signs (the base checks it again)."""
    problems = []
    if agreement.mode not in AGREEMENT_MODES:
        problems.append(_("mode de l'accord du prescripteur : téléphone, messagerie ou autre"))
    if not agreement.given_by.strip():
        problems.append(_("auteur de l'accord (le prescripteur ou son remplaçant)"))
    if not changes:
        problems.append(_("ce qui change (dose, forme, quantité, séances ou produit remplacé)"))
    for name, value in changes:
        if name not in ADJUSTMENT_FIELDS:
            problems.append(_("modification inconnue : {name}").format(name=name))
        elif not value.strip():
            problems.append(_("nouvelle valeur de « {name} » vide").format(name=_(CHANGE_LABELS[name])))
    return problems


def adjust_line(client: EPrescriptionBase, card: Any, number: str, line: int, changes: list[tuple[str, str]],
                agreement: Agreement, *, adjustment_id: str | None = None) -> PrescritView:
    """Record an adjustment of ``line`` agreed by the prescriber, signed by ``card`` (its PIN
    verified): ``changes`` as (field, new value), fields of ``ADJUSTMENT_FIELDS``."""
    number = normalize_prescription_number(number)
    check_line_number(line)
    problems = agreement_problems(agreement, changes)
    if problems:
        raise UserError(_("Ajustement incomplet : {problems}").format(problems="; ".join(problems)))
    at = agreement.at if agreement.at.tzinfo else agreement.at.astimezone()
    at_text = at.replace(microsecond=0).isoformat()
    wire_changes = [{"field": name, "value": value.strip()} for name, value in changes]
    given_by = agreement.given_by.strip()
    signed = adjustment_content(number, line, wire_changes, agreement.mode, given_by, at_text)
    signature = card.sign_digest(hashlib.sha256(signed).digest())
    body = {"line": line, "changes": wire_changes,
            "agreement": {"mode": agreement.mode, "at": at_text, "given_by": given_by},
            "certificate": b64e(card.sign_certificate_der()), "signature": b64e(signature)}
    try:
        return view_of(client.prescrit_adjust(number, adjustment_id or uuid.uuid4().hex, body))
    except BaseRefused as error:
        raise _refused(_("Ajustement"), error) from None



class ExecutionKept(BaseUnavailable):
    """The base out of reach: the execution stays in the prescrit's journal and leaves, under
    the same id, before the next one recorded on this workstation (the user is told so)."""

    def __init__(self, cause: BaseUnavailable, earlier: int = 0) -> None:
        # a retyped command is another act (the journal gives it a new id): say so, or it is recorded twice
        kept = _("{reason} L'exécution n'est pas perdue : elle est conservée sur ce poste et sera "
                 "envoyée à la base avec la prochaine exécution enregistrée. Ne la saisissez pas une "
                 "seconde fois : ce serait un autre acte.").format(
                     reason=cause.message.rstrip(".") + ".")
        if earlier:  # recorded before and not sent yet: they leave with it
            kept += " " + ngettext("{n} exécution enregistrée plus tôt l'attend aussi sur ce poste.",
                                   "{n} exécutions enregistrées plus tôt l'attendent aussi sur ce poste.",
                                   earlier).format(n=earlier)
        super().__init__(kept)


class ExecutionNotSent(BaseUnavailable):
    """The base out of reach before the execution was kept (the card's token, the ordonnance
    read first): this one was not recorded, and those the journal already keeps still wait."""

    def __init__(self, cause: BaseUnavailable, waiting: int) -> None:
        super().__init__(" ".join((
            _("{reason} Cette exécution n'a pas été enregistrée : refaites-la quand la base sera joignable.").format(
                reason=cause.message.rstrip(".") + "."),
            ngettext("{n} exécution enregistrée plus tôt est conservée sur ce poste : elle sera envoyée à la base "
                     "avec la prochaine exécution, quand la base sera de nouveau joignable.",
                     "{n} exécutions enregistrées plus tôt sont conservées sur ce poste : elles seront envoyées "
                     "à la base avec la prochaine exécution, quand la base sera de nouveau joignable.",
                     waiting).format(n=waiting))))


@contextlib.contextmanager
def waiting_executions_told(journal: ExecutionJournal) -> Iterator[None]:
    """Around the whole of an execution's session with the base: the base out of reach before
    ``send_execution`` kept the new execution, the prescrit is told how many earlier ones this
    workstation keeps for the base (they leave with the next execution)."""
    try:
        yield
    except ExecutionKept:
        raise
    except BaseUnavailable as error:
        waiting = len(journal.pending())
        if not waiting:
            raise
        raise ExecutionNotSent(error, waiting) from error


def send_execution(client: EPrescriptionBase, journal: ExecutionJournal, number: str, lines: list[LineExecution],
                   *, complete: bool = False) -> PrescritView:
    """``record_execution`` through the prescrit's journal: first the executions a killed
    client left unanswered (each under its own id), then this one, kept in the journal until the
    base answered. Sent again after a crash, the same execution gets the same id (the base
    replays it); the base out of reach, it stays in the journal for the next command, and the
    prescrit is told so: recorded again, the same content is then a new act (a new id)."""
    number = normalize_prescription_number(number)
    today = dt.date.today()
    lines = [item if item.on is not None else replace(item, on=today) for item in lines]  # its content, fixed once
    content = json.dumps({"lines": [item.payload() for item in lines], "complete": complete}, sort_keys=True)
    execution_id = journal.keep(number, content)
    try:
        for earlier in journal.pending():
            if earlier.id != execution_id:
                _send_pending(client, journal, earlier)
        view = record_execution(client, number, lines, complete=complete, execution_id=execution_id)
    except BaseUnavailable as error:  # kept: sent again, under the same id, by the next command
        journal.told_kept(execution_id)  # told so: the same content recorded again is another act
        raise ExecutionKept(error, earlier=len(journal.pending()) - 1) from error
    except UserError:
        journal.answered(execution_id)  # the base's verdict (or a line refused before sending): final
        raise
    journal.answered(execution_id)
    return view


def _send_pending(client: EPrescriptionBase, journal: ExecutionJournal, pending: PendingExecution) -> None:
    body = json.loads(pending.content)
    with contextlib.suppress(BaseRefused):  # refused for good (the number closed since...): nothing more to send
        client.prescrit_execute(pending.number, pending.id, body["lines"], bool(body["complete"]))
    journal.answered(pending.id)
