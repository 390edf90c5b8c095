"""What printing raises: a ``UserError`` whose message the physician reads as is."""

from lap_app.domain.errors import UserError


class PrintError(UserError):
    pass
