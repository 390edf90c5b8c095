"""The patient's control after the consultation (« Mon espace santé »): withdraw the consent to
the prescriber consulting what was done of an ordonnance, or give it back. The base applies it
to every later consultation and audits it."""

from __future__ import annotations

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_nir, normalize_prescription_number
from lap_app.i18n import _


def consent_given(client: EPrescriptionBase, portal_secret: str, ins: str, number: str) -> bool:
    """True when the prescriber may consult the execution of ``number`` (no opposition)."""
    try:
        return not client.patient_consent(portal_secret, normalize_nir(ins), normalize_prescription_number(number))
    except BaseRefused as error:
        raise UserError(_("Consentement illisible : {reason}").format(reason=error.message)) from None


def set_consent(client: EPrescriptionBase, portal_secret: str, ins: str, number: str, given: bool) -> bool:
    """Give (``given``) or withdraw the consent; returns the consent now recorded."""
    try:
        opposition = client.patient_consent(portal_secret, normalize_nir(ins), normalize_prescription_number(number),
                                            opposition=not given)
    except BaseRefused as error:
        action = _("Consentement") if given else _("Retrait du consentement")
        raise UserError(_("{action} impossible : {reason}").format(action=action, reason=error.message)) from None
    return not opposition
