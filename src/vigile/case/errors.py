"""Errors of the case store. Messages name the store or the problem, never a stored value."""

from __future__ import annotations


class CaseError(Exception):
    """Base class for every case-store failure."""


class KeyMissingError(CaseError):
    """No encryption key was given although the operation touches personal data."""


class WrongKeyError(CaseError):
    """The key does not open this store (or a blob was altered)."""


class BadKeyError(CaseError):
    """A key was given but is malformed (wrong length, not base64, unreadable file)."""


class StoreNotFoundError(CaseError):
    """The store does not exist and was not to be created."""


class IncidentNotFoundError(CaseError):
    """No incident matches."""
