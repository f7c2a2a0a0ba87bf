"""Offline bundles: a station's envelopes and page files, or the township's receipts and
events, in one zip file for a USB stick (``docs/protocol.md`` section 9).

A bundle holds ``manifest.json``, a signed ``bundle`` document naming every other member
with its kind, size and SHA-256, and those members. A reader trusts nothing before the
manifest verifies, checks the archive's layout and limits before reading any member, reads
every member as a stream against its manifest entry, and either returns a fully verified
bundle or raises a BundleError: nothing is applied from a half-read bundle. A writer writes
to a temporary file beside the target, fsyncs it and renames it into place.

Modules: :mod:`.errors` (the BundleError family), :mod:`.manifest` (layouts, limits and the
signed manifest), :mod:`.archive` (the zip container's safety checks and streaming),
:mod:`.writing` and :mod:`.reading`.
"""

from sync.bundle.archive import CHUNK
from sync.bundle.errors import (BundleError, BundleMembersError, BundleSignatureError,
                                BundleWriteError, DamagedBundleError, MaterialFileError,
                                MaterialFileProblem, NotABundleError, OversizedBundleError,
                                TamperedBundleError, UnknownStationError, UnsafeBundleError,
                                WrongStationError)
from sync.bundle.manifest import (DEFAULT_LIMITS, DOC_TYPE, MANIFEST, BundleLimits, Manifest,
                                  Member)
from sync.bundle.reading import (BlobFile, OutboundBundle, ReturnBundle, read_outbound,
                                 read_return)
from sync.bundle.writing import Opener, write_outbound, write_return

__all__ = [
    "CHUNK", "DEFAULT_LIMITS", "DOC_TYPE", "MANIFEST",
    "BlobFile", "BundleLimits", "Manifest", "Member", "Opener", "OutboundBundle",
    "ReturnBundle",
    "BundleError", "BundleMembersError", "BundleSignatureError", "BundleWriteError",
    "DamagedBundleError", "MaterialFileError", "MaterialFileProblem", "NotABundleError",
    "OversizedBundleError",
    "TamperedBundleError", "UnknownStationError", "UnsafeBundleError", "WrongStationError",
    "read_outbound", "read_return", "write_outbound", "write_return",
]
