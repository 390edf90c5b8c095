"""The pure domain core: the ordonnance, posology, identifiers and their check keys.

No Qt, no I/O, no network here: everything else depends on this package, never the reverse.
"""
