"""Errors the rules raise; their message is translated and shown to the user as is."""


class DomainError(Exception):
    """A rule of the CRM refused the action; `field` names the input at fault, if any."""

    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(DomainError):
    """A value given for a field is not acceptable."""


class NotFound(DomainError):
    """The record does not exist or is not visible to the acting user."""
