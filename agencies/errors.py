"""Errors of agency reviews and deliveries; all are ``DomainError`` s with a machine code."""

from __future__ import annotations

from singlewindow.errors import Conflict, DomainError


class ReviewConflict(Conflict):
    """The review is not in a state that allows this (claimed by another officer, already decided)."""


class AttachmentRefused(DomainError):
    status = 400


class DeliveryError(Exception):
    """A webhook delivery attempt failed (network error or non-2xx answer); worth retrying."""
