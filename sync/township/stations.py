"""Stations: creating them with a one-time enrolment code, enrolling their keys, revoking
them, and what request verification needs (their keys, their nonces)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from peewee import IntegrityError

from sync import fields
from sync.errors import MalformedError
from sync.messages import Enrolment, make_enrolment
from sync.signed import b64decode, public_key_from_raw, raw_public_key
from sync.township import codes
from sync.township.config import MAX_NAME
from sync.township.context import Context
from sync.township.errors import EnrolmentRefusedError, MalformedRequestError, NotFoundError
from sync.township.models import EnrolmentCode, Nonce, Station

_CODE_SECRET = "village-township enrolment codes"
_ENROL_FIELDS = {"code", "station_key", "station_code", "app_version"}


@dataclass(frozen=True)
class NewCode:
    """What the admin hands to a station: its id and a one-time code (``XXXX-XXXX``)."""

    station: str
    name: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class EnrolRequest:
    code: str
    station_key: Ed25519PublicKey
    station_code: str | None
    app_version: str

    @classmethod
    def from_json(cls, body: Any) -> EnrolRequest:
        """Raise MalformedRequestError unless ``body`` is the enrolment request."""
        if not isinstance(body, dict) or set(body) != _ENROL_FIELDS:
            raise MalformedRequestError("enrolment request fields")
        try:
            key = public_key_from_raw(b64decode(body["station_key"], 32))
            request = cls(_short(body["code"], "code"), key,
                          _short(body["station_code"], "station_code", optional=True),
                          _short(body["app_version"], "app_version"))
        except MalformedError as error:
            raise MalformedRequestError(error.reason) from None
        return request


class StationService:
    def __init__(self, context: Context,
                 on_enrolled: Callable[[str], None] | None = None) -> None:
        """``on_enrolled(station_id)`` runs inside the enrolment's transaction (the latest
        catalog release is announced to the new station there)."""
        self._context = context
        self._on_enrolled = on_enrolled

    def add(self, name: str) -> NewCode:
        """Create a station named ``name`` and its first enrolment code.

        Raises MalformedRequestError for an empty or overlong name.
        """
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise MalformedRequestError("a station name is 1 to 255 characters")
        with self._context.database.atomic():
            station = Station.create(id="s" + secrets.token_hex(8), name=name,
                                     created_at=self._context.clock())
            return self._issue(station)

    def new_code(self, station_id: str) -> NewCode:
        """Another code for an existing station (a replaced PC). Raises NotFoundError."""
        with self._context.database.atomic():
            return self._issue(self._station(station_id))

    def revoke(self, station_id: str) -> None:
        """Refuse the station's requests from now on; its unused codes stop working."""
        with self._context.database.atomic():
            station = self._station(station_id)
            station.revoked_at = self._context.clock()
            station.save()
            EnrolmentCode.delete().where(EnrolmentCode.station == station,
                                         EnrolmentCode.used_at.is_null()).execute()

    def enrol(self, request: EnrolRequest) -> bytes:
        """Bind the station's key and answer with the signed ``enrolment`` document.

        Raises EnrolmentRefusedError for an unknown, used or expired code.
        """
        code = codes.normalise(request.code)
        now = self._context.clock()
        with self._context.database.atomic():
            row = None if code is None else EnrolmentCode.get_or_none(
                EnrolmentCode.code_hash == self._hash(code))
            if row is None or row.used_at is not None or row.expires_at <= now:
                raise EnrolmentRefusedError()
            claimed = (EnrolmentCode.update(used_at=now)
                       .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_null())
                       .execute())
            if claimed != 1:
                raise EnrolmentRefusedError()
            station = row.station
            station.public_key = raw_public_key(request.station_key)
            station.enrolled_at, station.revoked_at = now, None
            station.station_code, station.app_version = request.station_code, request.app_version
            station.save()
            if self._on_enrolled is not None:
                self._on_enrolled(station.id)
        return self._answer(station, now)

    def public_key(self, station_id: str) -> Ed25519PublicKey | None:
        """The key of an enrolled, unrevoked station; None for any other id."""
        station = Station.get_or_none(Station.id == station_id)
        if station is None or station.public_key is None or station.revoked_at is not None:
            return None
        return public_key_from_raw(bytes(station.public_key))

    def remember_nonce(self, station: str, nonce: str, created: datetime) -> bool:
        """Store a request nonce; False when the station used it within the window."""
        now = self._context.clock()
        with self._context.database.atomic():
            self.forget_nonces()
            try:
                with self._context.database.atomic():
                    Nonce.create(station=station, nonce=nonce, seen_at=now)
            except IntegrityError:
                return False
        return True

    def forget_nonces(self) -> int:
        """Drop the nonces seen before the replay window; how many were dropped."""
        cutoff = self._context.clock() - self._context.limits.nonce_window
        with self._context.database.atomic():
            return Nonce.delete().where(Nonce.seen_at < cutoff).execute()

    def _issue(self, station: Station) -> NewCode:
        code = codes.new_code()
        now = self._context.clock()
        expires = now + self._context.limits.enrolment_valid
        EnrolmentCode.create(station=station, code_hash=self._hash(code.replace("-", "")),
                             created_at=now, expires_at=expires)
        return NewCode(station.id, station.name, code, expires)

    def _hash(self, code: str) -> str:
        return codes.code_hash(self._context.keys.secret(_CODE_SECRET), code)

    def _answer(self, station: Station, now: datetime) -> bytes:
        keys = self._context.keys
        return make_enrolment(Enrolment(
            station=station.id, name=station.name, township=keys.township_id,
            township_name=keys.name, signing_key=keys.signing.public_key(),
            sealing_key=keys.sealing.public_bytes(), suite=keys.sealing.suite,
            server_time=now), keys.signing)

    @staticmethod
    def _station(station_id: str) -> Station:
        station = Station.get_or_none(Station.id == station_id)
        if station is None:
            raise NotFoundError("no such station")
        return station


def _short(value: Any, name: str, optional: bool = False) -> str | None:
    """A non-empty text of at most MAX_NAME characters. Raises MalformedError."""
    text = fields.text(value, name, optional)
    if text is not None and len(text) > MAX_NAME:
        raise MalformedError(f"{name} too long")
    return text
