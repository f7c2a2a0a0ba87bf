"""A minimal station side for the township's tests: enrol, sign requests, upload blobs, send
envelopes, built only from the shared wire code (``sync.httpsig``, ``sync.envelope``)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import envelope as envelopes
from sync.httpsig import Message, sign
from sync.messages import Enrolment, Ledger, LedgerEntry, ledger_digest, make_ledger, read_enrolment
from sync.signed import b64encode, raw_public_key


@dataclass
class StationClient:
    """An enrolled station talking to ``api`` (the township's ``/api/v1`` URL)."""

    api: str
    enrolment: Enrolment
    key: Ed25519PrivateKey
    clock_offset: timedelta = timedelta(0)
    session: requests.Session = field(default_factory=requests.Session)
    next_seq: int = 1

    @property
    def station(self) -> str:
        return self.enrolment.station

    @classmethod
    def enrol(cls, api: str, code: str, key: Ed25519PrivateKey | None = None) -> StationClient:
        """Enrol with ``code``; raises AssertionError when the township refuses."""
        key = key or Ed25519PrivateKey.generate()
        answer = requests.post(f"{api}/enrol", json=enrol_body(code, key),
                               headers={"Sync-Protocol": "1"})
        assert answer.status_code == 201, answer.text
        return cls(api, read_enrolment(answer.content), key)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, *, offset: timedelta | None = None,
                signer: str | None = None) -> requests.Response:
        """A signed request (``signer`` overrides the key id, ``offset`` the clock)."""
        message = Message(method, self.api + path, dict(headers or {}))
        sign(message, signer or self.station, self.key,
             body_sha256=None if body is None else hashlib.sha256(body).digest(),
             clock_offset=self.clock_offset if offset is None else offset)
        return self.session.request(method, message.url, data=body, headers=message.headers)

    def prepared(self, method: str, path: str, body: bytes | None = None) -> Message:
        """A signed message not yet sent (to send twice, or to alter)."""
        message = Message(method, self.api + path, {})
        sign(message, self.station, self.key,
             body_sha256=None if body is None else hashlib.sha256(body).digest())
        return message

    def send(self, message: Message, body: bytes | None = None) -> requests.Response:
        return self.session.request(message.method, message.url, data=body,
                                    headers=message.headers)

    def create_blob(self, data: bytes, length: int | None = None) -> requests.Response:
        sha = hashlib.sha256(data).hexdigest()
        metadata = "sha256 " + base64.b64encode(sha.encode()).decode()
        return self.request("POST", "/blobs", headers={
            "Upload-Length": str(len(data) if length is None else length),
            "Upload-Metadata": metadata})

    def patch_blob(self, sha256: str, offset: int, chunk: bytes,
                   checksum: bytes | None = None) -> requests.Response:
        return self.request("PATCH", f"/blobs/{sha256}", chunk,
                            _chunk_headers(offset, chunk, checksum))

    def prepared_patch(self, sha256: str, offset: int, chunk: bytes) -> Message:
        """A signed PATCH not yet sent (to break off mid-body)."""
        message = Message("PATCH", f"{self.api}/blobs/{sha256}",
                          _chunk_headers(offset, chunk, None))
        sign(message, self.station, self.key, body_sha256=hashlib.sha256(chunk).digest())
        return message

    def upload(self, data: bytes, chunk: int = 1 << 20) -> str:
        """Upload ``data`` whole; its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        offset = int(self.create_blob(data).headers["Upload-Offset"])
        while offset < len(data):
            answer = self.patch_blob(sha, offset, data[offset:offset + chunk])
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["Upload-Offset"])
        return sha

    def envelope(self, content: Mapping[str, Any] | None = None, *, seq: int | None = None,
                 case: str | None = None, revision: int = 1, kind: str = "submission",
                 blobs: tuple[bytes, ...] = (), sealing_key: bytes | None = None) -> bytes:
        """Envelope bytes (the next seq unless given) for ``case`` (a new uuid if None)."""
        if seq is None:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
        return build_envelope(self.enrolment, self.key, seq, case=case, revision=revision,
                              kind=kind, blobs=blobs, content=content,
                              sealing_key=sealing_key)

    def post_envelope(self, data: bytes) -> requests.Response:
        return self.request("POST", "/envelopes", data)


def _chunk_headers(offset: int, chunk: bytes, checksum: bytes | None) -> dict[str, str]:
    digest = hashlib.sha256(chunk).digest() if checksum is None else checksum
    return {"Upload-Offset": str(offset),
            "Upload-Checksum": "sha256 " + base64.b64encode(digest).decode(),
            "Content-Type": "application/offset+octet-stream"}


def enrol_body(code: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"code": code, "station_key": b64encode(raw_public_key(key)),
            "station_code": "530102001", "app_version": "0.9.0"}


def build_envelope(enrolment: Enrolment, key: Ed25519PrivateKey, seq: int, *,
                   case: str | None = None, revision: int = 1, kind: str = "submission",
                   blobs: tuple[bytes, ...] = (), content: Mapping[str, Any] | None = None,
                   sealing_key: bytes | None = None, station: str | None = None) -> bytes:
    """Envelope bytes of the enrolled station (or the ``station`` it claims to be)."""
    refs = tuple(sorted((envelopes.BlobRef(hashlib.sha256(b).hexdigest(), len(b))
                         for b in blobs), key=lambda r: r.sha256))
    header = envelopes.Header(station or enrolment.station, seq, case or str(uuid.uuid4()),
                              revision, kind, datetime.now(timezone.utc).replace(tzinfo=None),
                              refs)
    return envelopes.build(header, content or {"case": {"note": "test"}}, suite=enrolment.suite,
                           sealing_key=sealing_key or enrolment.sealing_key, station_key=key)


@dataclass(frozen=True)
class DirectStation:
    """A station enrolled through the service, without HTTP (for storage tests)."""

    enrolment: Enrolment
    key: Ed25519PrivateKey

    @property
    def id(self) -> str:
        return self.enrolment.station

    def envelope(self, seq: int, **options: Any) -> bytes:
        return build_envelope(self.enrolment, self.key, seq, **options)


def enrol_directly(service: Any, name: str = "Village station") -> DirectStation:
    """Add a station to ``service`` (a Township) and enrol a new key with its code."""
    from sync.township.stations import EnrolRequest

    key = Ed25519PrivateKey.generate()
    code = service.stations.add(name).code
    answer = service.stations.enrol(EnrolRequest.from_json(enrol_body(code, key)))
    return DirectStation(read_enrolment(answer), key)


def ledger_bytes(station: str, key: Ed25519PrivateKey, lines: Mapping[int, str | None],
                 after: int = 0) -> bytes:
    """The signed ledger of ``lines`` (seq -> envelope digest, None when quarantined
    without one), with the entries after ``after``."""
    entries = tuple(LedgerEntry(seq, digest) for seq, digest in sorted(lines.items()))
    return make_ledger(Ledger(station, max(lines, default=0), len(entries),
                              ledger_digest(entries), tuple(e for e in entries if e.seq > after)),
                       key)
