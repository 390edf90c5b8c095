"""The virtual CPS: an APDU-level emulator of a CPS3 (IAS-ECC subset), with two transports.

- ``vpcd.VpcdEmulator``: attached to the real PC/SC stack through the vpcd reader driver
  (connecting inserts the card, stopping removes it); ``lap-app card emulate``.
- ``inprocess.insert_virtual_card``: inserted into the card layer's in-process virtual reader,
  the fallback when PC/SC is unavailable.
``testing`` has the helpers other tests use to insert and pull cards.
"""

from lap_app.standins.virtual_cps.card import ATR_CPS3, VirtualCps, pin_block

__all__ = ["ATR_CPS3", "VirtualCps", "pin_block"]
