"""The one error contract from actions to forms, the API and the command line.

An action that refuses raises an :class:`ActionError` (each app has its own subclass) and
changes nothing. ``field`` names the input at fault, by the action's own argument name,
so a form shows ``message`` beside the field it maps that name to
(``GovukForm.add_action_error``); the API and the command line print ``str(error)``,
which names the field first.
"""

from __future__ import annotations


class ActionError(ValueError):
    """``subject``: what of that field was refused, for the command line and the API
    (``days 50: the most for A1234BC is 42 days``); a form shows the message alone."""

    def __init__(self, message: str, field: str | None = None, subject: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.subject = subject

    def __str__(self) -> str:
        if self.field is None:
            return self.message
        named = f"{self.field} {self.subject}" if self.subject else self.field
        return f"{named}: {self.message}"
