-- 0002: the township's checklist of a case returned for supplement (frozen: never edit,
-- add a new numbered step).

CREATE TABLE "supplement_item" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "event_id" VARCHAR(255) NOT NULL,
    "position" INTEGER NOT NULL,
    "requirement_code" VARCHAR(255),
    "name" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "resolved_at" DATETIME,
    "resolved_by_id" INTEGER,
    "resolution_note" TEXT,
    FOREIGN KEY ("case_id") REFERENCES "case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("resolved_by_id") REFERENCES "agent" ("id") ON DELETE RESTRICT
);
CREATE INDEX "supplement_item_case_id" ON "supplement_item" ("case_id");
CREATE INDEX "supplement_item_resolved_by_id" ON "supplement_item" ("resolved_by_id");
CREATE UNIQUE INDEX "supplement_item_event_id_position" ON "supplement_item" ("event_id", "position");
