"""Signed catalog releases: round trip, wrong key, unsigned, tampered, malformed."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.catalog import Catalog, load_catalog_dir
from forms.errors import CatalogError, CatalogSignatureError
from forms.release import build_release, canonical_json, key_id, load_release
from tests.forms.sample import TINY_CATALOG, field, matter_data

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@functools.cache
def tiny() -> Catalog:
    return load_catalog_dir(TINY_CATALOG)


@functools.cache
def release() -> bytes:
    return build_release(tiny(), KEY)


def signed_envelope(signed: dict[str, Any], key: Ed25519PrivateKey = KEY) -> bytes:
    signature = key.sign(canonical_json(signed)).hex()
    return canonical_json(
        {"signed": signed, "signatures": [{"keyid": key_id(key.public_key()), "sig": signature}]}
    )


def envelope() -> dict[str, Any]:
    return json.loads(release())


def test_round_trip_gives_the_same_catalog_and_bytes() -> None:
    loaded = load_release(release(), KEY.public_key())
    assert loaded == tiny()
    assert loaded.calendar_years[2027]["holidays"][0] == "2027-01-01"
    assert loaded.matter("YB-CBDJ-001").source == "release:YB-CBDJ-001"
    assert build_release(loaded, KEY) == release()


def test_release_is_canonical_json_with_a_tuf_like_envelope() -> None:
    data = envelope()
    assert set(data) == {"signed", "signatures"}
    assert data["signed"]["_type"] == "village-station/catalog"
    assert canonical_json(data) == release()
    assert b" " not in release()[:200]


def test_key_id_is_the_sha256_of_the_raw_public_key() -> None:
    raw = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert key_id(KEY.public_key()) == hashlib.sha256(raw).hexdigest()
    assert envelope()["signatures"][0]["keyid"] == key_id(KEY.public_key())


def test_another_key_is_refused() -> None:
    with pytest.raises(CatalogSignatureError, match="not signed by the trusted key"):
        load_release(release(), OTHER_KEY.public_key())


@pytest.mark.parametrize("signatures", [[], None])
def test_unsigned_release_is_refused(signatures: Any) -> None:
    data = envelope()
    if signatures is None:
        del data["signatures"]
    else:
        data["signatures"] = signatures
    with pytest.raises(CatalogSignatureError, match="not signed"):
        load_release(canonical_json(data), KEY.public_key())


def test_altered_content_with_the_old_signature_is_refused() -> None:
    data = envelope()
    data["signed"]["matters"]["YB-CBDJ-001"]["name"] = "改过的名称"
    with pytest.raises(CatalogSignatureError, match="does not match"):
        load_release(canonical_json(data), KEY.public_key())


def test_signature_by_another_key_under_our_key_id_is_refused() -> None:
    data = envelope()
    data["signatures"][0]["sig"] = OTHER_KEY.sign(canonical_json(data["signed"])).hex()
    with pytest.raises(CatalogSignatureError, match="does not match"):
        load_release(canonical_json(data), KEY.public_key())


def test_non_canonical_bytes_are_refused_even_with_a_valid_signature() -> None:
    pretty = json.dumps(envelope(), indent=2, ensure_ascii=False).encode("utf-8")
    with pytest.raises(CatalogSignatureError, match="canonical"):
        load_release(pretty, KEY.public_key())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"signed":1,"signatures":[]}',
        b'{"signed":{},"signed":{},"signatures":[]}',
        b'{"signed":{"a":NaN},"signatures":[{"keyid":"x","sig":"y"}]}',
        b'{"extra":1,"signed":{},"signatures":[{"keyid":"x","sig":"y"}]}',
        b'{"signed":{},"signatures":"abc"}',
    ],
)
def test_malformed_releases_are_catalog_errors(data: bytes) -> None:
    with pytest.raises(CatalogError):
        load_release(data, KEY.public_key())


def test_malformed_signature_is_refused() -> None:
    data = envelope()
    data["signatures"][0]["sig"] = "zz"
    with pytest.raises(CatalogSignatureError, match="malformed"):
        load_release(canonical_json(data), KEY.public_key())


def test_size_limit() -> None:
    with pytest.raises(CatalogError, match="larger than"):
        load_release(release(), KEY.public_key(), max_bytes=100)


def test_signed_but_invalid_definitions_are_catalog_errors_naming_the_matter() -> None:
    signed = envelope()["signed"]
    signed["matters"]["BAD-001"] = matter_data([field("a", relevant="nope")], code="BAD-001")
    with pytest.raises(CatalogError) as caught:
        load_release(signed_envelope(signed), KEY.public_key())
    assert not isinstance(caught.value, CatalogSignatureError)
    (problem,) = caught.value.problems
    assert (problem.matter, problem.field) == ("BAD-001", "a")
    assert "Unknown field 'nope'" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"_type": "something-else"}, "not a catalog release"),
        ({"spec_version": 2}, "not a catalog release"),
        ({"matters": []}, "malformed"),
        ({"catalog": {"format": 1}}, "invalid definition"),
        ({"calendar": {"2027": {"year": 2028, "source": "x", "holidays": [], "workdays": []}}},
         "invalid definition"),
    ],
)
def test_signed_content_of_the_wrong_shape(change: dict[str, Any], fragment: str) -> None:
    signed = {**envelope()["signed"], **change}
    with pytest.raises(CatalogError, match=fragment):
        load_release(signed_envelope(signed), KEY.public_key())


def test_matter_listed_under_another_code_is_refused() -> None:
    signed = envelope()["signed"]
    signed["matters"]["XX-001"] = signed["matters"]["YB-CBDJ-001"]
    with pytest.raises(CatalogError, match="another code"):
        load_release(signed_envelope(signed), KEY.public_key())


@settings(max_examples=150)
@given(st.data())
def test_changing_any_byte_is_detected(data: st.DataObject) -> None:
    original = release()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    tampered = original[:position] + bytes([new]) + original[position + 1:]
    with pytest.raises(CatalogError):
        load_release(tampered, KEY.public_key())


@settings(max_examples=50)
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_cutting_or_inserting_bytes_is_detected(position: int, size: int) -> None:
    original = release()
    position %= len(original)
    for tampered in (original[:position] + original[position + size:],
                     original[:position] + b" " * size + original[position:]):
        with pytest.raises(CatalogError):
            load_release(tampered, KEY.public_key())


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_canonical_json_round_trips_and_is_stable(value: Any) -> None:
    encoded = canonical_json(value)
    decoded = json.loads(encoded.decode("utf-8"))
    assert decoded == value
    assert canonical_json(decoded) == encoded


@given(st.dictionaries(st.text(max_size=5), st.integers(), min_size=2, max_size=6))
def test_canonical_json_ignores_insertion_order(value: dict[str, int]) -> None:
    reversed_order = dict(reversed(list(value.items())))
    assert canonical_json(reversed_order) == canonical_json(value)


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_calendar_year_from_a_signed_release_settles_provisional_deadlines() -> None:
    from datetime import date

    from forms.calendar import WorkCalendar

    bundled = WorkCalendar.bundled()
    before = bundled.add_working_days(date(2026, 12, 15), 20)
    assert before.provisional
    loaded = load_release(release(), KEY.public_key())
    after = bundled.with_years(loaded.calendar_years).add_working_days(date(2026, 12, 15), 20)
    assert not after.provisional
    # 2027-01-01 is a Friday holiday in the release: the deadline moves one working day.
    assert after.date == date(2027, 1, 13) and before.date == date(2027, 1, 12)
