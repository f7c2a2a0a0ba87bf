"""Peewee models of the station store, bound through a database proxy.

Table layouts are created by the numbered steps in :mod:`station.migrations`, never by
``create_tables``; ``tests/station/test_migrations.py`` keeps the two in agreement.
Names follow the glossary of DESIGN.md.
"""

from __future__ import annotations

from peewee import (
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
from playhouse.sqlite_ext import JSONField

database_proxy = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Station(BaseModel):
    """The one station this store belongs to."""

    code = CharField(unique=True)
    name = CharField()
    township = CharField()
    created_at = DateTimeField()


class Agent(BaseModel):
    """A village proxy agent who can log in; disabled agents stay for the record."""

    login = CharField(unique=True)
    display_name = CharField()
    role = CharField()
    created_at = DateTimeField()
    disabled_at = DateTimeField(null=True)


class Applicant(BaseModel):
    """A villager on whose behalf cases are filed."""

    uuid = CharField(unique=True)
    name = CharField(index=True)
    id_number = CharField(null=True, index=True)
    phone = CharField(null=True, index=True)
    birth_date = DateField(null=True)
    sex = CharField(null=True)
    address = JSONField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()


class Case(BaseModel):
    """A case (办件): one application for one matter."""

    uuid = CharField(unique=True)
    local_number = CharField(unique=True)
    matter_code = CharField(index=True)
    matter_name = CharField()
    catalog_version = IntegerField()
    applicant = ForeignKeyField(Applicant, backref="cases", on_delete="RESTRICT")
    agent = ForeignKeyField(Agent, backref="cases", on_delete="RESTRICT")
    answers = JSONField(default=dict)
    overrides = JSONField(default=dict)
    state = CharField(index=True)
    revision = IntegerField(default=0)
    created_at = DateTimeField(index=True)
    updated_at = DateTimeField()
    queued_at = DateTimeField(null=True)
    promised_date = DateField(null=True)
    promised_provisional = BooleanField(default=False)
    result_text = TextField(null=True)
    result_approved = BooleanField(null=True)
    delivered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "created_at"), False),)


class MaterialRequirement(BaseModel):
    """The matter's material requirement, copied into the case when it was created."""

    case = ForeignKeyField(Case, backref="requirements", on_delete="CASCADE")
    code = CharField()
    name = CharField()
    form = CharField()
    copies = IntegerField()
    deferrable = BooleanField()
    notes = TextField(null=True)
    position = IntegerField()

    class Meta:
        indexes = ((("case", "code"), True),)


class MaterialFile(BaseModel):
    """One captured page of a material; its bytes live encrypted in the blob store."""

    uuid = CharField(unique=True)
    case = ForeignKeyField(Case, backref="pages", on_delete="CASCADE")
    requirement = ForeignKeyField(MaterialRequirement, backref="pages", on_delete="CASCADE")
    position = IntegerField()
    rotation = IntegerField(default=0)
    blob_name = CharField(null=True, unique=True)
    blob_key = BlobField(null=True)
    digest = CharField()
    size = IntegerField()
    media_type = CharField()
    created_at = DateTimeField()
    purged_at = DateTimeField(null=True)


class DeferredMaterial(BaseModel):
    """A material accepted missing (容缺受理) with the date the applicant promised it."""

    requirement = ForeignKeyField(
        MaterialRequirement, backref="deferrals", unique=True, on_delete="CASCADE"
    )
    promised_date = DateField()
    note = TextField(null=True)
    created_at = DateTimeField()
    fulfilled_at = DateTimeField(null=True)


class CaseTransition(BaseModel):
    """One step of a case's lifecycle: who, when, why (the case timeline)."""

    case = ForeignKeyField(Case, backref="transitions", on_delete="CASCADE")
    from_state = CharField(null=True)
    to_state = CharField()
    agent = ForeignKeyField(Agent, null=True, on_delete="RESTRICT")
    reason = TextField(null=True)
    event_id = CharField(null=True, unique=True)
    at = DateTimeField()


class SupplementItem(BaseModel):
    """One point of the township's checklist when it returned a case for supplement (补正).

    ``requirement_code`` names the case's material the point is about (None for a general
    point); ``name`` is the material as the township wrote it. The agent may mark a point
    resolved with a note (e.g. the form was corrected) instead of adding pages.
    """

    case = ForeignKeyField(Case, backref="supplement_items", on_delete="CASCADE")
    event_id = CharField()
    position = IntegerField()
    requirement_code = CharField(null=True)
    name = TextField()
    reason = TextField()
    created_at = DateTimeField()
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(Agent, null=True, on_delete="RESTRICT")
    resolution_note = TextField(null=True)

    class Meta:
        indexes = ((("event_id", "position"), True),)


class Evaluation(BaseModel):
    """The applicant's rating (好差评) after intake or after delivery."""

    case = ForeignKeyField(Case, backref="evaluations", on_delete="CASCADE")
    stage = CharField()
    level = CharField()
    comment = TextField(null=True)
    agent = ForeignKeyField(Agent, on_delete="RESTRICT")
    created_at = DateTimeField()

    class Meta:
        indexes = ((("case", "stage"), True),)


class AuditEvent(BaseModel):
    """An append-only, hash-chained record of an action on personal data."""

    at = DateTimeField()
    agent_login = CharField(null=True)
    action = CharField()
    object_type = CharField()
    object_id = CharField(null=True)
    detail = JSONField(null=True)
    prev_hash = CharField()
    hash = CharField()


class OutboxItem(BaseModel):
    """A case revision waiting to reach the township; ``seq`` never repeats or skips."""

    seq = IntegerField(unique=True)
    case = ForeignKeyField(Case, backref="outbox_items", on_delete="RESTRICT")
    revision = IntegerField()
    kind = CharField()
    state = CharField(index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("case", "revision"), True),)


class Receipt(BaseModel):
    """The township's signed receipt for an outbox item: proof of delivery."""

    outbox_item = ForeignKeyField(OutboxItem, backref="receipts", unique=True, on_delete="RESTRICT")
    township_number = CharField(null=True)
    body = BlobField()
    received_at = DateTimeField()


class SyncCursor(BaseModel):
    """How far the station has read a township feed."""

    name = CharField(unique=True)
    value = TextField()
    updated_at = DateTimeField()


class Setting(BaseModel):
    """A station setting (JSON value)."""

    key = CharField(unique=True)
    value = JSONField()


class CatalogRelease(BaseModel):
    """A signed catalog release from the township, kept whole (verified again whenever it
    is loaded) so that every case still opens with the version it started on; ``changes``
    says what it changed against the version installed before it."""

    version = IntegerField(unique=True)
    catalog_id = CharField()
    data = BlobField()
    sha256 = CharField()
    event_id = CharField(unique=True)
    changes = JSONField()
    received_at = DateTimeField()


MODELS: tuple[type[BaseModel], ...] = (
    Station,
    Agent,
    Applicant,
    Case,
    MaterialRequirement,
    MaterialFile,
    DeferredMaterial,
    CaseTransition,
    SupplementItem,
    Evaluation,
    AuditEvent,
    OutboxItem,
    Receipt,
    SyncCursor,
    Setting,
    CatalogRelease,
)
