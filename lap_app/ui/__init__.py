"""The PySide6 desktop application: a thin layer over ``lap_app.services``."""
