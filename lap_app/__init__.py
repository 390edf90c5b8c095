"""LAP: a prescribing application for French general practitioners (ordonnance numérique)."""

__version__ = "0.1.0"
