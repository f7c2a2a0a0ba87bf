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
    DateField,
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


class Refusal(BaseModel):
    """An envelope refused for good (422 or 409 ``conflict``), once per station, digest and
    code: its sequence and case when they could be read, how often and when it came."""

    station = ForeignKeyField(Station, backref="refusals")
    seq = IntegerField(null=True)
    case_uuid = CharField(null=True, max_length=36)
    digest = CharField(max_length=64)
    code = CharField(max_length=32)
    first_at = DateTimeField()
    last_at = DateTimeField()
    times = IntegerField(default=1)

    class Meta:
        indexes = ((("station", "digest", "code"), True), (("station", "seq"), False))


class User(BaseModel):
    """A console account of township staff: its Argon2id hash (PHC string, parameters
    included), its role, and the count of wrong passwords that throttles it."""

    login = CharField(unique=True, max_length=64)
    display_name = CharField()
    role = CharField(max_length=16)
    password_hash = CharField()
    created_at = DateTimeField()
    disabled_at = DateTimeField(null=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)


class ConsoleSession(BaseModel):
    """A signed-in console session, kept as the SHA-256 of its cookie token."""

    token_hash = CharField(primary_key=True, max_length=64)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    csrf_token = CharField(max_length=64)
    created_at = DateTimeField()
    seen_at = DateTimeField(index=True)


class AuditEntry(BaseModel):
    """One entry of the console's hash-chained audit log (ids 1, 2, ... without gaps)."""

    id = IntegerField(primary_key=True)
    at = DateTimeField()
    actor = CharField(null=True, max_length=64)
    action = CharField(max_length=32)
    object_type = CharField(max_length=32)
    object_id = CharField(null=True)
    detail = TextField()
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)


class AuditHead(BaseModel):
    """The audit chain's head (one row): entry count and last hash, moved with each entry."""

    id = IntegerField(primary_key=True)
    count = IntegerField()
    hash = CharField(max_length=64)


class CaseFacts(BaseModel):
    """What the console's queue filters on, read once from a case's sealed content: its
    matter, and the deadline counted from its acceptance."""

    case = ForeignKeyField(Case, unique=True, backref="facts", on_delete="CASCADE")
    revision = IntegerField()
    state = CharField()
    matter_code = CharField(null=True, index=True)
    matter_name = CharField(null=True)
    catalog_version = IntegerField(null=True)
    accepted_at = DateTimeField(null=True)
    due_on = DateField(null=True, index=True)
    due_provisional = BooleanField(default=False)


class CatalogRelease(BaseModel):
    """A signed catalog release as published: its canonical bytes (what stations verify),
    the file id stations fetch it by, and the catalog's summary counts (JSON)."""

    version = IntegerField(primary_key=True)
    file_id = CharField(unique=True, max_length=36)
    data = BlobField()
    sha256 = CharField(max_length=64)
    size = BigIntegerField()
    published_at = DateTimeField()
    summary = TextField()


MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion, Station, EnrolmentCode, Case, Envelope, Blob, Event, ResultFile, Nonce,
    Heartbeat, LedgerReport, LedgerEntry, Refusal, User, ConsoleSession, AuditEntry, AuditHead,
    CaseFacts, CatalogRelease,
)
