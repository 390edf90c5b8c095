"""A CPS on a real PKCS#11 token: SoftHSM2 tokens holding the demo PKI's keys and certificates.

Made with the standard tools, as a real workstation's token could be checked: ``softhsm2-util
--init-token`` then ``pkcs11-tool --write-object`` of each private key and its certificate
under the same ``--id`` (docs/cps-card-layer.md, "PKCS#11"). SoftHSM2 reads its configuration
(``SOFTHSM2_CONF``) once, when a process loads it: create every token a process needs before
that process opens the module.
"""

from lap_app.standins.softhsm.card_filter import CardFilter, card_filter_buildable
from lap_app.standins.softhsm.tokens import (
    AUTH_ID,
    AUTH_LABELS,
    DEMO_SO_PIN,
    SIGN_ID,
    SIGN_LABELS,
    SoftHsm,
    SoftHsmToken,
    find_softhsm_module,
    softhsm_available,
)

__all__ = [
    "AUTH_ID",
    "AUTH_LABELS",
    "DEMO_SO_PIN",
    "SIGN_ID",
    "SIGN_LABELS",
    "CardFilter",
    "SoftHsm",
    "SoftHsmToken",
    "card_filter_buildable",
    "find_softhsm_module",
    "softhsm_available",
]
