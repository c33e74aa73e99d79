"""Errors the person should see, as friendly text; adapters show ``str(error)`` and change nothing else."""


class UserError(Exception):
    """Something the person asked for cannot be done; the message says why and what to do instead.

    ``field`` names the input at fault (topic, message, day, person) so a form can show the
    message next to it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(UserError):
    """The person may not do this (not their request, not an organiser, ...). Always logged."""


class NotFound(UserError):
    """What the person referred to does not exist (any more)."""
