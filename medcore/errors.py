"""Exceptions raised by medcore.

Every error a user can cause derives from :class:`MedcoreError`, so a page catches that one class
and shows its message; anything else is a bug and is allowed to surface in tests.

Messages follow one rule: say what was received, what was expected, and how to fix it.
"""
from __future__ import annotations


class MedcoreError(ValueError):
    """Base class of every error medcore raises on purpose."""


class InvalidUploadError(MedcoreError):
    """An uploaded file cannot be read as the kind of file it claims to be."""


class DataValidationError(MedcoreError):
    """Tabular data (a records CSV or a form) does not satisfy its schema."""


class ModelFileError(MedcoreError):
    """A model file or its model card is missing, corrupt or does not match its checksum."""


class DataUnavailableError(MedcoreError):
    """A data set needed for training, evaluation or a sample is not on this machine."""
