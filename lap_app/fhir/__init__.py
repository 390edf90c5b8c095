"""The ordonnance as a FHIR R4 document Bundle, both ways (docs/fhir-mapping.md).

Pure functions on ``dict``s: reading and writing files is the caller's business.
"""

from lap_app.fhir.canonical import canonical_bytes
from lap_app.fhir.read import from_bundle, kind_of_bundle
from lap_app.fhir.write import to_bundle

__all__ = ["canonical_bytes", "from_bundle", "kind_of_bundle", "to_bundle"]
