"""Peewee models of the township platform, bound through a database proxy.

The same models serve SQLite (the embedded default) and PostgreSQL (city scale); times are
naive UTC. Tables are created by the numbered steps in :mod:`sync.township.db`. Case
content stays sealed in the stored envelope bytes and is opened only when read.
"""

from __future__ import annotations

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database_proxy = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    """The numbered migration steps applied so far (one row per step)."""

    version = IntegerField(primary_key=True)
    applied_at = DateTimeField()


class Station(BaseModel):
    """A village station: enrolled once it has a public key, refused once revoked."""

    id = CharField(primary_key=True, max_length=64)
    name = CharField()
    station_code = CharField(null=True)
    public_key = BlobField(null=True)
    app_version = CharField(null=True)
    created_at = DateTimeField()
    enrolled_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_cursor = IntegerField(default=0)
    ledger_through = IntegerField(default=0)


class EnrolmentCode(BaseModel):
    """A one-time enrolment code, kept only as its keyed hash."""

    station = ForeignKeyField(Station, backref="codes", on_delete="CASCADE")
    code_hash = CharField(unique=True, max_length=64)
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class Case(BaseModel):
    """A case as the township knows it; its id gives the township number."""

    station = ForeignKeyField(Station, backref="cases")
    case_uuid = CharField(max_length=36)
    township_number = CharField(null=True, unique=True)
    state = CharField(index=True)
    revision = IntegerField()
    received_at = DateTimeField()
    updated_at = DateTimeField(index=True)

    class Meta:
        indexes = ((("station", "case_uuid"), True),)


class Envelope(BaseModel):
    """One received envelope: its bytes as signed, the station key it verified with (a
    station that enrols again gets a new key), and the receipt it was answered with."""

    station = ForeignKeyField(Station, backref="envelopes")
    seq = IntegerField()
    case = ForeignKeyField(Case, backref="envelopes")
    revision = IntegerField()
    kind = CharField()
    digest = CharField(max_length=64)
    data = BlobField()
    station_key = BlobField()
    receipt = BlobField()
    received_at = DateTimeField()
    source = CharField()

    class Meta:
        indexes = ((("station", "seq"), True), (("case", "revision"), True))


class Blob(BaseModel):
    """A page file uploaded by a station (tus): how much of it is held, and whether whole."""

    station = ForeignKeyField(Station, backref="blobs")
    sha256 = CharField(max_length=64)
    size = BigIntegerField()
    offset = BigIntegerField(default=0)
    complete = BooleanField(default=False)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("station", "sha256"), True),)


class Event(BaseModel):
    """A signed event for one station, numbered by its per-station cursor."""

    station = ForeignKeyField(Station, backref="events")
    cursor = IntegerField()
    event_id = CharField(unique=True, max_length=36)
    kind = CharField()
    case = ForeignKeyField(Case, backref="events", null=True)
    revision = IntegerField(null=True)
    payload = TextField()
    data = BlobField()
    created_at = DateTimeField()

    class Meta:
        indexes = ((("station", "cursor"), True),)


class ResultFile(BaseModel):
    """A result file (an approval, a certificate) that a ``completed`` event names."""

    id = CharField(primary_key=True, max_length=36)
    station = ForeignKeyField(Station, backref="files")
    case = ForeignKeyField(Case, backref="files")
    sha256 = CharField(max_length=64)
    size = BigIntegerField()
    media_type = CharField()
    name = CharField()
    created_at = DateTimeField()


class Nonce(BaseModel):
    """A request nonce seen from a station; purged once past the replay window."""

    station = CharField(max_length=64)
    nonce = CharField(max_length=64)
    seen_at = DateTimeField(index=True)

    class Meta:
        indexes = ((("station", "nonce"), True),)


class Heartbeat(BaseModel):
    """What a station said about itself on one sync round."""

    station = ForeignKeyField(Station, backref="heartbeats")
    received_at = DateTimeField()
    queue = IntegerField()
    quarantined = IntegerField()
    app_version = CharField()
    catalog_version = CharField(null=True)
    last_error = CharField(null=True)
    free_disk = BigIntegerField(null=True)
    highest_seq = IntegerField()

    class Meta:
        indexes = ((("station", "received_at"), False),)


class LedgerReport(BaseModel):
    """One ledger a station reported and the township's answer to it."""

    station = ForeignKeyField(Station, backref="ledger_reports")
    received_at = DateTimeField()
    highest_seq = IntegerField()
    count = IntegerField()
    digest = CharField(max_length=64)
    through = IntegerField()
    missing = TextField()
    mismatched = TextField()


class LedgerEntry(BaseModel):
    """A ledger line both sides agree on (up to the station's ``ledger_through``)."""

    station = ForeignKeyField(Station, backref="ledger_entries")
    seq = IntegerField()
    envelope_sha256 = CharField(null=True, max_length=64)

    class Meta:
        indexes = ((("station", "seq"), True),)


MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion, Station, EnrolmentCode, Case, Envelope, Blob, Event, ResultFile, Nonce,
    Heartbeat, LedgerReport, LedgerEntry,
)
