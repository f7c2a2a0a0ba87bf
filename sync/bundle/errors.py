"""The BundleError family: why a bundle was refused or could not be written, each with a
message that says what to do, and the mapping of the protocol's own errors onto it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import StrEnum

from forms.i18n import _
from sync.errors import MalformedError, SignatureError, SyncError


class BundleError(SyncError):
    """A bundle was refused or could not be written. The message says what to do;
    ``reason`` is for logs and never names a person."""

    def __init__(self, reason: str, outbound: bool = True) -> None:
        super().__init__(_("{problem} {advice}").format(problem=self._problem(),
                                                         advice=self._advice(outbound)))
        self.reason = reason

    def _problem(self) -> str:
        raise NotImplementedError

    def _advice(self, outbound: bool) -> str:
        if outbound:
            return _("Ask the station to export the bundle again.")
        return _("Ask the township to write the return bundle again.")


class NotABundleError(BundleError):
    """Not a zip, no manifest, or a bundle of the other direction."""

    def _problem(self) -> str:
        return _("This file is not a bundle of the expected kind.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that you chose the right file.")


class DamagedBundleError(BundleError):
    """The zip is truncated or corrupt (bad CRC, bad compressed data, cut short)."""

    def _problem(self) -> str:
        return _("The bundle file is damaged or incomplete.")


class UnsafeBundleError(BundleError):
    """A member name that is not allowed (a path, "..", a duplicate), an encrypted or
    unknown compression method, or overlapping members."""

    def _problem(self) -> str:
        return _("The bundle contains a file name or an entry that is not allowed.")


class OversizedBundleError(BundleError):
    """Too many members, too large, or a compression ratio that only a zip bomb has."""

    def _problem(self) -> str:
        return _("The bundle is too large or unpacks to far more than its own size.")


class BundleMembersError(BundleError):
    """A member not in the manifest, a manifest entry without a member, or page files that
    are not exactly those the envelopes name."""

    def _problem(self) -> str:
        return _("The files in the bundle do not match its list of contents.")


class BundleSignatureError(BundleError):
    """The manifest or a document in the bundle is not signed by the expected key."""

    def _problem(self) -> str:
        return _("The bundle's signature does not verify.")


class TamperedBundleError(BundleError):
    """A member's size or digest differs from the manifest, or a document is malformed or
    does not match its name."""

    def _problem(self) -> str:
        return _("A file in the bundle was altered or does not belong to it.")


class UnknownStationError(BundleError):
    """The manifest names a station the township does not know."""

    def _problem(self) -> str:
        return _("The bundle comes from a station that is not enrolled here.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that the station is enrolled with this township.")


class WrongStationError(BundleError):
    """A return bundle addressed to another station."""

    def _problem(self) -> str:
        return _("This return bundle is for another station.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that you chose the right file.")


class MaterialFileProblem(StrEnum):
    """What is wrong with a page file a bundle was to hold."""

    MISSING = "page file missing or unreadable"
    ALTERED = "page file does not match its digest"


class MaterialFileError(BundleError):
    """While writing: a stored page file is missing, unreadable or not what its digest says
    (``reason``: a MaterialFileProblem)."""

    def __init__(self, reason: MaterialFileProblem) -> None:
        super().__init__(reason)
        self.reason: MaterialFileProblem = reason

    def _problem(self) -> str:
        return _("A material file stored on this computer is missing or damaged, "
                 "so no bundle was written.")

    def _advice(self, outbound: bool) -> str:
        return _("Ask the township's support staff for help.")


class BundleWriteError(BundleError):
    """While writing: the target could not be written (full, read-only, removed)."""

    def _problem(self) -> str:
        return _("The bundle could not be written; no partial file was left behind.")

    def _advice(self, outbound: bool) -> str:
        return _("Check that the USB stick is plugged in, writable and not full, "
                 "then try again.")


@contextlib.contextmanager
def refusing(outbound: bool) -> Iterator[None]:
    """Turn the protocol's MalformedError and SignatureError into bundle errors."""
    try:
        yield
    except MalformedError as exc:
        raise TamperedBundleError(exc.reason, outbound) from None
    except SignatureError as exc:
        raise BundleSignatureError(exc.reason, outbound) from None
