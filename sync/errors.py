"""Typed errors of the sync protocol. Messages are plain words; none names a person."""

from __future__ import annotations

from forms.i18n import _


class SyncError(Exception):
    """Base of every error the sync layer raises on purpose."""


class MalformedError(SyncError):
    """A message is not what the protocol says it must be (not JSON, wrong type, a field
    missing, not canonical). ``reason`` is for logs and never names a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(_("A sync message is malformed and was refused."))
        self.reason = reason


class SignatureError(SyncError):
    """A signature is missing, made by another key, or does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(_("A sync message's signature does not verify; it was refused."))
        self.reason = reason


class SealError(SyncError):
    """Sealed content could not be opened (wrong key, altered, unknown suite)."""

    def __init__(self, reason: str) -> None:
        super().__init__(_("Sealed case content could not be opened."))
        self.reason = reason
