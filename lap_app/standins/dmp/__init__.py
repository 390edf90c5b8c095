"""DMP stand-in (the patient's shared medical record, as the ordonnance feed sees it).

A router mounted on the reference base's app (same TLS server, same card tokens and
installation credentials) with its own SQLite file ``dmp.sqlite3`` in the base's data
directory. See docs/protocol.md, section "DMP".
"""

from lap_app.standins.dmp.store import DMP_DATABASE, DmpStore, install_dmp

__all__ = ["DMP_DATABASE", "DmpStore", "install_dmp"]
