-- 0003: what the station keeps for sync: the enrolment (pinned township keys, the
-- station's identity key), built envelopes, page-file upload digests, received events and
-- result files (frozen: never edit, add a new numbered step).

CREATE TABLE "sync_enrolment" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_id" VARCHAR(255) NOT NULL,
    "station_name" VARCHAR(255) NOT NULL,
    "township_id" VARCHAR(255) NOT NULL,
    "township_name" VARCHAR(255) NOT NULL,
    "url" VARCHAR(255) NOT NULL,
    "ca_bundle" VARCHAR(255),
    "signing_key" BLOB NOT NULL,
    "sealing_key" BLOB NOT NULL,
    "suite" VARCHAR(255) NOT NULL,
    "identity_key" BLOB NOT NULL,
    "enrolled_at" DATETIME NOT NULL
);
CREATE TABLE "sync_envelope" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "outbox_item_id" INTEGER NOT NULL,
    "data" BLOB NOT NULL,
    "digest" VARCHAR(255) NOT NULL,
    "built_at" DATETIME NOT NULL,
    FOREIGN KEY ("outbox_item_id") REFERENCES "outbox_item" ("id") ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "sync_envelope_outbox_item_id" ON "sync_envelope" ("outbox_item_id");
CREATE TABLE "sync_page_digest" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "material_file_id" INTEGER NOT NULL,
    "sha256" VARCHAR(255) NOT NULL,
    "size" INTEGER NOT NULL,
    FOREIGN KEY ("material_file_id") REFERENCES "material_file" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "sync_page_digest_material_file_id" ON "sync_page_digest" ("material_file_id");
CREATE INDEX "sync_page_digest_sha256" ON "sync_page_digest" ("sha256");
CREATE TABLE "sync_event" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(255) NOT NULL,
    "cursor" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "case_uuid" VARCHAR(255),
    "data" BLOB NOT NULL,
    "received_at" DATETIME NOT NULL,
    "applied" INTEGER NOT NULL,
    "reason" TEXT
);
CREATE UNIQUE INDEX "sync_event_event_id" ON "sync_event" ("event_id");
CREATE UNIQUE INDEX "sync_event_cursor" ON "sync_event" ("cursor");
CREATE INDEX "sync_event_case_uuid" ON "sync_event" ("case_uuid");
CREATE TABLE "sync_result_file" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "event_id" VARCHAR(255) NOT NULL,
    "file_id" VARCHAR(255) NOT NULL,
    "name" TEXT NOT NULL,
    "media_type" VARCHAR(255) NOT NULL,
    "blob_name" VARCHAR(255) NOT NULL,
    "blob_key" BLOB NOT NULL,
    "digest" VARCHAR(255) NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE
);
CREATE INDEX "sync_result_file_case_id" ON "sync_result_file" ("case_id");
CREATE UNIQUE INDEX "sync_result_file_event_id" ON "sync_result_file" ("event_id");
CREATE UNIQUE INDEX "sync_result_file_blob_name" ON "sync_result_file" ("blob_name");
