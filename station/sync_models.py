"""Peewee models of what the station keeps for sync (migration ``0003_sync.sql``).

The enrolment holds the station's Ed25519 identity private key: it lives only here, in the
encrypted store, never in a file or a log.
"""

from __future__ import annotations

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from station.models import BaseModel, Case, MaterialFile, OutboxItem


class SyncEnrolment(BaseModel):
    """Who the township says this station is (its id and name there), which township it
    is (id and name), and the keys pinned at enrolment (one row)."""

    station_id = CharField()
    station_name = CharField()
    township_id = CharField()
    township_name = CharField()
    url = CharField()
    ca_bundle = CharField(null=True)
    signing_key = BlobField()
    sealing_key = BlobField()
    suite = CharField()
    identity_key = BlobField()
    enrolled_at = DateTimeField()


class SyncEnvelope(BaseModel):
    """The envelope of an outbox item, built once at its first send attempt and kept, so a
    resend is byte-identical."""

    outbox_item = ForeignKeyField(OutboxItem, unique=True, on_delete="RESTRICT")
    data = BlobField()
    digest = CharField()
    built_at = DateTimeField()


class SyncPageDigest(BaseModel):
    """The SHA-256 and size of a page file as stored (what is uploaded), computed once."""

    material_file = ForeignKeyField(MaterialFile, unique=True, on_delete="CASCADE")
    sha256 = CharField(index=True)
    size = IntegerField()


class SyncEvent(BaseModel):
    """A verified township event as received: applied, or quarantined with its reason."""

    event_id = CharField(unique=True)
    cursor = IntegerField(unique=True)
    kind = CharField()
    case_uuid = CharField(null=True, index=True)
    data = BlobField()
    received_at = DateTimeField()
    applied = BooleanField()
    reason = TextField(null=True)


class SyncResultFile(BaseModel):
    """A result file the township issued with a completed case, stored encrypted in the
    blob store like a page."""

    case = ForeignKeyField(Case, backref="result_files", on_delete="CASCADE")
    event_id = CharField(unique=True)
    file_id = CharField()
    name = TextField()
    media_type = CharField()
    blob_name = CharField(unique=True)
    blob_key = BlobField()
    digest = CharField()
    size = IntegerField()
    created_at = DateTimeField()


SYNC_MODELS: tuple[type[BaseModel], ...] = (
    SyncEnrolment, SyncEnvelope, SyncPageDigest, SyncEvent, SyncResultFile,
)
