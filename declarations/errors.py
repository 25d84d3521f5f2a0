from __future__ import annotations

from singlewindow.errors import DomainError

from .canonical import DeclarationData, Issue


class LodgementRejected(DomainError):
    """The declaration was not accepted; nothing was stored. ``issues`` says what and where."""

    def __init__(
        self, issues: list[Issue], *, status: int = 400, data: DeclarationData | None = None
    ) -> None:
        self.issues = issues
        self.data = data  # what could be read of the message (its LRN, its declarant), if anything
        first = issues[0].message if issues else "The declaration was rejected."
        super().__init__(
            issues[0].code if issues else "rejected",
            first,
            errors=[i.as_dict() for i in issues],
            status=status,
        )


class LrnConflict(DomainError):
    """The same LRN was lodged before by this declarant with different content."""

    status = 409
