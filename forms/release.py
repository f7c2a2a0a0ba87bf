"""Signed catalog releases: a canonical-JSON envelope in the manner of TUF metadata.

A release is the UTF-8 bytes of::

    {"signatures": [{"keyid": "<sha256 of the raw public key, hex>", "sig": "<hex>"}],
     "signed": {"_type": "village-station/catalog", "spec_version": 1,
                "catalog": {catalog.yaml data}, "matters": {code: matter data},
                "calendar": {"2027": calendar data}}}

in canonical JSON (sorted keys, no whitespace, UTF-8, no NaN). The Ed25519 signature
covers the canonical JSON of ``signed``. :func:`load_release` accepts only bytes that are
themselves canonical, so that changing any byte of a release is detected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from forms.catalog import Catalog, check_calendar, check_header, check_matters, make_catalog
from forms.errors import CatalogError, CatalogSignatureError
from forms.i18n import _

RELEASE_TYPE = "village-station/catalog"
SPEC_VERSION = 1
MAX_RELEASE_BYTES = 64 * 1024 * 1024
_SIGNATURE = re.compile(r"[0-9a-f]{128}")


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8, no NaN.

    Raises ValueError (or TypeError) for values JSON cannot represent.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key id: SHA-256 of the raw 32-byte public key, in hex."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def build_release(catalog: Catalog, private_key: Ed25519PrivateKey) -> bytes:
    """The signed release of ``catalog``."""
    signed = {
        "_type": RELEASE_TYPE,
        "spec_version": SPEC_VERSION,
        "catalog": dict(catalog.header),
        "matters": {code: matter.data for code, matter in catalog.matters.items()},
        "calendar": {str(year): data for year, data in catalog.calendar_years.items()},
    }
    signature = private_key.sign(canonical_json(signed))
    envelope = {
        "signed": signed,
        "signatures": [{"keyid": key_id(private_key.public_key()), "sig": signature.hex()}],
    }
    return canonical_json(envelope)


def load_release(
    data: bytes, public_key: Ed25519PublicKey, *, max_bytes: int = MAX_RELEASE_BYTES
) -> Catalog:
    """Verify the release ``data`` against ``public_key`` and return its catalog.

    Raises CatalogSignatureError when the release is unsigned, not signed by this key,
    altered, or its signature does not verify; CatalogError when it is malformed or its
    contents are not a valid catalog.
    """
    if len(data) > max_bytes:
        raise CatalogError(
            _("The release is larger than {limit} bytes.").format(limit=max_bytes)
        )
    envelope = _parse(data)
    signed = verify_envelope(envelope, public_key)
    if canonical_json(envelope) != data:
        raise CatalogSignatureError(
            _("The release is not in canonical form; it may have been altered.")
        )
    return _catalog(signed)


def verify_envelope(envelope: Any, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The ``signed`` part of ``envelope`` once its signature by ``public_key`` verifies.

    Raises CatalogError for a malformed envelope, CatalogSignatureError for a missing or
    bad signature.
    """
    if not isinstance(envelope, dict) or not isinstance(envelope.get("signed"), dict):
        raise CatalogError(_("The release has no signed part."))
    signatures = envelope.get("signatures")
    if not signatures:
        raise CatalogSignatureError(_("The release is not signed."))
    if set(envelope) != {"signed", "signatures"} or not isinstance(signatures, list):
        raise CatalogError(_("The release envelope is malformed."))
    wanted = key_id(public_key)
    ours = [s for s in signatures if isinstance(s, Mapping) and s.get("keyid") == wanted]
    if not ours:
        raise CatalogSignatureError(_("The release is not signed by the trusted key."))
    signature = ours[0].get("sig")
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise CatalogSignatureError(_("The release signature is malformed."))
    try:
        public_key.verify(bytes.fromhex(signature), canonical_json(envelope["signed"]))
    except InvalidSignature:
        raise CatalogSignatureError(
            _("The release signature does not match; it may have been altered.")
        ) from None
    return envelope["signed"]


def _parse(data: bytes) -> Any:
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CatalogError(_("The release is not valid JSON.")) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _catalog(signed: Mapping[str, Any]) -> Catalog:
    if signed.get("_type") != RELEASE_TYPE or signed.get("spec_version") != SPEC_VERSION:
        raise CatalogError(
            _("This is not a catalog release of a version this program reads.")
        )
    matters, calendars = signed.get("matters"), signed.get("calendar")
    if not isinstance(matters, dict) or not isinstance(calendars, dict):
        raise CatalogError(_("The release envelope is malformed."))
    header, problems = check_header(signed.get("catalog"), source="release:catalog")
    built, found = check_matters(matters, source="release")
    problems += found
    years: dict[int, dict[str, Any]] = {}
    for key, data in calendars.items():
        plain, found = check_calendar(data, source=f"release:calendar:{key}", year=_year(key))
        problems += found
        if plain is not None:
            years[_year(key)] = plain
    if problems or header is None:
        raise CatalogError(
            _("The release contains {count} invalid definition(s).").format(count=len(problems)),
            problems,
        )
    return make_catalog(header, built, years)


def _year(key: str) -> int:
    return int(key) if key.isdigit() else -1

