-- 0004: signed catalog releases received from the township, every version kept, with
-- what each changed (frozen: never edit, add a new numbered step).

CREATE TABLE "catalog_release" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "catalog_id" VARCHAR(255) NOT NULL,
    "data" BLOB NOT NULL,
    "sha256" VARCHAR(255) NOT NULL,
    "event_id" VARCHAR(255) NOT NULL,
    "changes" TEXT NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "catalog_release_version" ON "catalog_release" ("version");
CREATE UNIQUE INDEX "catalog_release_event_id" ON "catalog_release" ("event_id");
