"""The PySide6 desktop application: a thin layer over ``lap_app.services``."""

from lap_app.ui.pyside_import_hook import drop_feature_import_hook

drop_feature_import_hook()  # before the application's own modules load
