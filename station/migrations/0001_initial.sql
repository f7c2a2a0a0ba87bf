-- 0001: the initial station schema (frozen: never edit, add a new numbered step).

CREATE TABLE "station" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "township" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "station_code" ON "station" ("code");
CREATE TABLE "agent" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "login" VARCHAR(255) NOT NULL,
    "display_name" VARCHAR(255) NOT NULL,
    "role" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "disabled_at" DATETIME
);
CREATE UNIQUE INDEX "agent_login" ON "agent" ("login");
CREATE TABLE "applicant" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "uuid" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "id_number" VARCHAR(255),
    "phone" VARCHAR(255),
    "birth_date" DATE,
    "sex" VARCHAR(255),
    "address" TEXT,
    "created_at" DATETIME NOT NULL,
    "updated_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "applicant_uuid" ON "applicant" ("uuid");
CREATE INDEX "applicant_name" ON "applicant" ("name");
CREATE INDEX "applicant_id_number" ON "applicant" ("id_number");
CREATE INDEX "applicant_phone" ON "applicant" ("phone");
CREATE TABLE "case" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "uuid" VARCHAR(255) NOT NULL,
    "local_number" VARCHAR(255) NOT NULL,
    "matter_code" VARCHAR(255) NOT NULL,
    "matter_name" VARCHAR(255) NOT NULL,
    "catalog_version" INTEGER NOT NULL,
    "applicant_id" INTEGER NOT NULL,
    "agent_id" INTEGER NOT NULL,
    "answers" TEXT NOT NULL,
    "overrides" TEXT NOT NULL,
    "state" VARCHAR(255) NOT NULL,
    "revision" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL,
    "updated_at" DATETIME NOT NULL,
    "queued_at" DATETIME,
    "promised_date" DATE,
    "promised_provisional" INTEGER NOT NULL,
    "result_text" TEXT,
    "result_approved" INTEGER,
    "delivered_at" DATETIME,
    FOREIGN KEY ("applicant_id") REFERENCES "applicant" ("id") ON DELETE RESTRICT,
    FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "case_uuid" ON "case" ("uuid");
CREATE UNIQUE INDEX "case_local_number" ON "case" ("local_number");
CREATE INDEX "case_matter_code" ON "case" ("matter_code");
CREATE INDEX "case_applicant_id" ON "case" ("applicant_id");
CREATE INDEX "case_agent_id" ON "case" ("agent_id");
CREATE INDEX "case_state" ON "case" ("state");
CREATE INDEX "case_created_at" ON "case" ("created_at");
CREATE INDEX "case_state_created_at" ON "case" ("state", "created_at");
CREATE TABLE "material_requirement" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "code" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "form" VARCHAR(255) NOT NULL,
    "copies" INTEGER NOT NULL,
    "deferrable" INTEGER NOT NULL,
    "notes" TEXT,
    "position" INTEGER NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE
);
CREATE INDEX "material_requirement_case_id" ON "material_requirement" ("case_id");
CREATE UNIQUE INDEX "material_requirement_case_id_code" ON "material_requirement" ("case_id", "code");
CREATE TABLE "material_file" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "uuid" VARCHAR(255) NOT NULL,
    "case_id" INTEGER NOT NULL,
    "requirement_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "rotation" INTEGER NOT NULL,
    "blob_name" VARCHAR(255),
    "blob_key" BLOB,
    "digest" VARCHAR(255) NOT NULL,
    "size" INTEGER NOT NULL,
    "media_type" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "purged_at" DATETIME,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("requirement_id") REFERENCES "material_requirement" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "material_file_uuid" ON "material_file" ("uuid");
CREATE INDEX "material_file_case_id" ON "material_file" ("case_id");
CREATE INDEX "material_file_requirement_id" ON "material_file" ("requirement_id");
CREATE UNIQUE INDEX "material_file_blob_name" ON "material_file" ("blob_name");
CREATE TABLE "deferred_material" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "requirement_id" INTEGER NOT NULL,
    "promised_date" DATE NOT NULL,
    "note" TEXT,
    "created_at" DATETIME NOT NULL,
    "fulfilled_at" DATETIME,
    FOREIGN KEY ("requirement_id") REFERENCES "material_requirement" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "deferred_material_requirement_id" ON "deferred_material" ("requirement_id");
CREATE TABLE "case_transition" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "from_state" VARCHAR(255),
    "to_state" VARCHAR(255) NOT NULL,
    "agent_id" INTEGER,
    "reason" TEXT,
    "event_id" VARCHAR(255),
    "at" DATETIME NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT
);
CREATE INDEX "case_transition_case_id" ON "case_transition" ("case_id");
CREATE INDEX "case_transition_agent_id" ON "case_transition" ("agent_id");
CREATE UNIQUE INDEX "case_transition_event_id" ON "case_transition" ("event_id");
CREATE TABLE "evaluation" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "stage" VARCHAR(255) NOT NULL,
    "level" VARCHAR(255) NOT NULL,
    "comment" TEXT,
    "agent_id" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE RESTRICT
);
CREATE INDEX "evaluation_case_id" ON "evaluation" ("case_id");
CREATE INDEX "evaluation_agent_id" ON "evaluation" ("agent_id");
CREATE UNIQUE INDEX "evaluation_case_id_stage" ON "evaluation" ("case_id", "stage");
CREATE TABLE "audit_event" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "agent_login" VARCHAR(255),
    "action" VARCHAR(255) NOT NULL,
    "object_type" VARCHAR(255) NOT NULL,
    "object_id" VARCHAR(255),
    "detail" TEXT,
    "prev_hash" VARCHAR(255) NOT NULL,
    "hash" VARCHAR(255) NOT NULL
);
CREATE TABLE "outbox_item" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "seq" INTEGER NOT NULL,
    "case_id" INTEGER NOT NULL,
    "revision" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "state" VARCHAR(255) NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT,
    "created_at" DATETIME NOT NULL,
    "updated_at" DATETIME NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "outbox_item_seq" ON "outbox_item" ("seq");
CREATE INDEX "outbox_item_case_id" ON "outbox_item" ("case_id");
CREATE INDEX "outbox_item_state" ON "outbox_item" ("state");
CREATE UNIQUE INDEX "outbox_item_case_id_revision" ON "outbox_item" ("case_id", "revision");
CREATE TABLE "receipt" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "outbox_item_id" INTEGER NOT NULL,
    "township_number" VARCHAR(255),
    "body" BLOB NOT NULL,
    "received_at" DATETIME NOT NULL,
    FOREIGN KEY ("outbox_item_id") REFERENCES "outbox_item" ("id") ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "receipt_outbox_item_id" ON "receipt" ("outbox_item_id");
CREATE TABLE "sync_cursor" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "value" TEXT NOT NULL,
    "updated_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "sync_cursor_name" ON "sync_cursor" ("name");
CREATE TABLE "setting" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "key" VARCHAR(255) NOT NULL,
    "value" TEXT NOT NULL
);
CREATE UNIQUE INDEX "setting_key" ON "setting" ("key");
