"""Structured posology and its French sentence.

The structure follows FHIR ``Dosage`` (timing.repeat, doseAndRate, asNeeded,
maxDosePerPeriod) so that the mapping is direct; ``sentence()`` renders what the patient
reads on the ordonnance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# FHIR EventTiming codes used by French prescriptions, in the order of the day.
MOMENTS = ("ACM", "MORN", "CM", "NOON", "CD", "AFT", "EVE", "CV", "NIGHT", "HS", "PC", "AC")


@dataclass(slots=True)
class Posology:
    dose: float | None = None  # per intake
    dose_unit: str = ""  # "comprimé", "mg", "goutte", "sachet", "ml"...
    when: list[str] = field(default_factory=list)  # EventTiming codes, e.g. ["MORN", "EVE"]
    frequency: int | None = None  # intakes per period (when not given by ``when``)
    period: float | None = None
    period_unit: str | None = None  # UCUM: "h", "d", "wk", "mo"
    as_needed: bool = False
    as_needed_reason: str = ""  # "douleur", "fièvre"
    max_dose: float | None = None  # maximum per ``max_period``
    max_period: float | None = None
    max_period_unit: str | None = None
    min_interval_hours: float | None = None  # "en respectant 6 heures entre deux prises"
    duration: float | None = None
    duration_unit: str | None = None  # UCUM: "d", "wk", "mo"
    route: str = ""  # "orale", "cutanée"...
    text: str | None = None  # the sentence as signed, when it differs from the rendering
    max_dose_unit: str = ""  # unit of ``max_dose`` when it differs from ``dose_unit``

    def sentence(self) -> str:
        """The French sentence printed on the ordonnance; raises ``IncompletePosology``
        (``lap_app.domain.posology_rules``) when the posology cannot be phrased as it is."""
        if self.text:
            return self.text
        from lap_app.domain.posology_rules import IncompletePosology, phrasing_problems
        from lap_app.domain.posology_text import render_sentence

        problems = phrasing_problems(self)
        if problems:
            raise IncompletePosology(problems)
        return render_sentence(self)
