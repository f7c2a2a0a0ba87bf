"""Typed errors of the township platform.

Each protocol error carries the ``code`` the API answers with (``docs/protocol.md``
section 4) and the extra fields of that answer. Their messages are English words for
machines and logs; they never name a person.
"""

from __future__ import annotations

from typing import Any


class TownshipError(Exception):
    """Base of every error the township raises on purpose."""

    code = "error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.fields = fields


class BadRequestError(TownshipError):
    """A request lacks a header or carries one the protocol does not allow."""

    code = "bad_request"


class ProtocolUnsupportedError(TownshipError):
    code = "protocol_unsupported"

    def __init__(self, supported: list[int]) -> None:
        super().__init__("this township does not speak that protocol version",
                         supported=supported)


class UnsupportedMediaTypeError(TownshipError):
    code = "unsupported_media_type"


class TooLargeError(TownshipError):
    code = "too_large"


class ClientGoneError(BadRequestError):
    """The client closed the connection before its whole body arrived (a station whose
    network dropped mid-upload): nobody reads the answer, and it is no server error."""


class NotFoundError(TownshipError):
    code = "not_found"


class SignatureInvalidError(TownshipError):
    """A missing or bad request signature, an unknown or revoked station, a stale or
    replayed request: one answer for all."""

    code = "signature_invalid"


class EnrolmentRefusedError(TownshipError):
    """An unknown, used or expired enrolment code: one answer for all."""

    code = "enrolment_refused"

    def __init__(self) -> None:
        super().__init__("enrolment code refused")


class OffsetMismatchError(TownshipError):
    code = "offset_mismatch"

    def __init__(self, offset: int) -> None:
        super().__init__("upload offset does not match", upload_offset=offset)
        self.offset = offset


class ChecksumMismatchError(TownshipError):
    code = "checksum_mismatch"


class BlobDigestMismatchError(TownshipError):
    """A complete upload is not the bytes its name promises; it has been dropped."""

    code = "blob_digest_mismatch"


class ConflictError(TownshipError):
    """The same sequence or case revision arrived before with other content."""

    code = "conflict"

    def __init__(self, envelope_sha256: str) -> None:
        super().__init__("another envelope holds this sequence or case revision",
                         envelope_sha256=envelope_sha256)


class BlobsMissingError(TownshipError):
    code = "blobs_missing"

    def __init__(self, missing: list[str]) -> None:
        super().__init__("blobs named by the envelope are not uploaded", missing=missing)
        self.missing = missing


class EnvelopeRefusedError(TownshipError):
    """An envelope that can never be accepted; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MalformedRequestError(TownshipError):
    code = "malformed"


class DecisionError(TownshipError):
    """A console action that the case's state does not allow, or an unknown case."""

    code = "invalid_decision"


class WrongPassphraseError(TownshipError):
    """The passphrase does not open ``township.keys`` (or the file was altered)."""

    code = "wrong_passphrase"

    def __init__(self) -> None:
        super().__init__("the passphrase does not open the township keys")


class KeyFileError(TownshipError):
    """``township.keys`` is missing, not a key file, or of another version."""

    code = "key_file"
