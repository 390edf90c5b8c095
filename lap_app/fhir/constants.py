"""Systems, codes, extension URLs and fixed displays of the FHIR mapping (docs/fhir-mapping.md)."""

from __future__ import annotations

from lap_app.domain.model import NonSubstitutionReason, Zone

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOINC_PRESCRIPTION = "57833-6"
LOINC_PRESCRIPTION_DISPLAY = "Prescription for medication"
LOINC_WEIGHT = "29463-7"
LOINC_WEIGHT_DISPLAY = "Body weight"
LOINC_HEIGHT = "8302-2"
LOINC_HEIGHT_DISPLAY = "Body height"

# Our own extensions (no public profile defines them).
EXT_OPPOSITION = "urn:ordonnance-numerique:opposition"
EXT_MIN_INTERVAL = "urn:ordonnance-numerique:intervalle-minimal"
EXT_SIGNER_CERTIFICATE = "urn:ordonnance-numerique:certificat-signataire"
EXT_PATIENT_ALD = "urn:ordonnance-numerique:patient-en-ald"
# a zone of the bizone with no line (FHIR: a section without entry says why)
EMPTY_SECTION = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                             "code": "nilknown", "display": "Nil Known"}]}

SIGNATURE_TYPE_SYSTEM = "urn:iso-astm:E1762-95:2013"
SIGNATURE_TYPE_AUTHOR = "1.2.840.10065.1.12.1.1"
SIGNATURE_TYPE_DISPLAY = "Author's Signature"

SECTION_TITLES = {
    Zone.ALD: "Prescriptions relatives au traitement de l'affection de longue durée",
    Zone.HORS_ALD: "Prescriptions sans rapport avec l'affection de longue durée",
}
PLAIN_SECTION_TITLE = "Prescriptions"

NON_SUBSTITUTION_DISPLAYS = {
    NonSubstitutionReason.MTE: "Médicament à marge thérapeutique étroite",
    NonSubstitutionReason.EFG: "Enfant de moins de 6 ans, aucun générique à forme galénique adaptée",
    NonSubstitutionReason.CIF: "Contre-indication formelle et démontrée à un excipient",
}

BOX_UNIT = ("boîte", "boîtes")

# Every kind of ordonnance (docs/fhir-mapping.md, "Kinds"). No official OID is public for the
# NABM and LPP code systems in an e-prescription profile: our URNs until the CNAM's are given.
SYSTEM_KIND = "urn:ordonnance-numerique:type-ordonnance"
SYSTEM_NABM = "urn:ordonnance-numerique:nabm"
SYSTEM_LPP = "urn:ordonnance-numerique:lpp"
SYSTEM_DEVICE_PARAMETER = "urn:ordonnance-numerique:parametre-dispositif"
SYSTEM_DEVICE_SUPPLY = "urn:ordonnance-numerique:achat-location"
EXT_FASTING = "urn:ordonnance-numerique:a-jeun"
EXT_SUNDAYS_AND_HOLIDAYS = "urn:ordonnance-numerique:dimanches-et-jours-feries"
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
AT_HOME_CODE = "PTRES"
AT_HOME_DISPLAY = "Patient's Residence"
DEVICE_QUANTITY = "quantite"
DEVICE_SUPPLY = "mode"
DEVICE_RENEWALS = "renouvellements"
SESSIONS_UNIT = "séances"
TIMES_UNIT = "fois"
