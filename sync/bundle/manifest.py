"""What a bundle holds: the member layout of each direction, the reader's limits, and the
signed ``bundle`` document (the manifest) that names every member with its kind, size and
SHA-256."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import envelope, fields
from sync import signed as documents
from sync.bundle.errors import BundleMembersError, NotABundleError, refusing
from sync.errors import MalformedError

DOC_TYPE = "bundle"
MANIFEST = "manifest.json"
_NUMBER = r"[1-9][0-9]{0,17}"


@dataclass(frozen=True)
class BundleLimits:
    """What a reader accepts. ``max_ratio`` bounds a member's expanded size against its
    compressed size (page files are encrypted and do not compress; JSON compresses ~2:1)."""

    max_members: int = 100_000
    max_total_bytes: int = 64 * 1024**3
    max_blob_bytes: int = 1024**3
    max_document_bytes: int = envelope.MAX_ENVELOPE_BYTES
    max_documents_total: int = 256 * 1024**2
    max_manifest_bytes: int = documents.MAX_DOCUMENT_BYTES
    max_ratio: int = 20

    def member_limit(self, kind: str) -> int:
        if kind == "manifest":
            return self.max_manifest_bytes
        return self.max_blob_bytes if kind == "blob" else self.max_document_bytes


DEFAULT_LIMITS = BundleLimits()


@dataclass(frozen=True)
class Layout:
    """The member names one direction allows, by kind."""

    direction: str
    kinds: dict[str, re.Pattern[str]]

    @property
    def outbound(self) -> bool:
        return self.direction == "outbound"

    def kind_of(self, name: str) -> str | None:
        return next((kind for kind, rule in self.kinds.items() if rule.fullmatch(name)), None)


OUTBOUND = Layout("outbound", {"envelope": re.compile(rf"envelopes/{_NUMBER}\.json"),
                               "blob": re.compile(r"blobs/[0-9a-f]{64}")})
RETURN = Layout("return", {"receipt": re.compile(rf"receipts/{_NUMBER}\.json"),
                           "event": re.compile(rf"events/{_NUMBER}\.json")})
LAYOUTS = (OUTBOUND, RETURN)


@dataclass(frozen=True)
class Member:
    """One manifest entry."""

    name: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The verified manifest: who signed for which station, when, and every member."""

    station: str
    direction: str
    created_at: datetime
    members: tuple[Member, ...]


def manifest_body(manifest: Manifest) -> dict[str, Any]:
    return {
        "station": manifest.station, "direction": manifest.direction,
        "created_at": documents.time_text(manifest.created_at),
        "members": [{"name": m.name, "kind": m.kind, "size": m.size, "sha256": m.sha256}
                    for m in manifest.members],
    }


def claimed_station(data: bytes, layout: Layout) -> str:
    """The station the manifest names, not yet verified; NotABundleError for the other
    direction."""
    with refusing(layout.outbound):
        body = documents.unverified(data, DOC_TYPE)
    if body.get("direction") != layout.direction:
        raise NotABundleError("a bundle of the other direction", layout.outbound)
    with refusing(layout.outbound):
        return fields.match(body.get("station"), fields.STATION, "station")


def verified_manifest(data: bytes, key: Ed25519PublicKey, layout: Layout,
                      entries: dict[str, zipfile.ZipInfo]) -> Manifest:
    """The manifest once it verifies and names exactly the members present."""
    with refusing(layout.outbound):
        body = fields.exact(documents.read(data, DOC_TYPE, key),
                            {"station", "direction", "created_at", "members"}, "bundle")
        manifest = Manifest(fields.match(body["station"], fields.STATION, "station"),
                            fields.choice(body["direction"], (layout.direction,), "direction"),
                            documents.parse_time(body["created_at"]),
                            _members(body["members"], layout))
    if {m.name for m in manifest.members} != set(entries) - {MANIFEST}:
        raise BundleMembersError("members differ from the manifest", layout.outbound)
    return manifest


def _members(value: Any, layout: Layout) -> tuple[Member, ...]:
    if not isinstance(value, list):
        raise MalformedError("members")
    members = tuple(_member(item, layout) for item in value)
    names = [m.name for m in members]
    if names != sorted(set(names)):
        raise MalformedError("members not sorted or repeated")
    return members


def _member(item: Any, layout: Layout) -> Member:
    if not isinstance(item, dict) or set(item) != {"name", "kind", "size", "sha256"}:
        raise MalformedError("member entry")
    kind = fields.choice(item["kind"], tuple(layout.kinds), "member kind")
    name = fields.match(item["name"], layout.kinds[kind], "member name")
    sha256 = fields.match(item["sha256"], fields.HEX64, "member digest")
    if kind == "blob" and name != f"blobs/{sha256}":
        raise MalformedError("page file name is not its digest")
    return Member(name, kind, fields.positive(item["size"], "member size", zero=True), sha256)


def blob_pairs(headers: Iterable[envelope.Header]) -> set[tuple[str, int]]:
    """The (digest, size) of every page file the envelopes name."""
    return {(ref.sha256, ref.size) for header in headers for ref in header.blobs}


def listed_pairs(members: Iterable[Member]) -> set[tuple[str, int]]:
    """The (digest, size) of every page file among ``members``."""
    return {(m.sha256, m.size) for m in members if m.kind == "blob"}
