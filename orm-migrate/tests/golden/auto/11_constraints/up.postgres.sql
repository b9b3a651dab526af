-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_authors" ADD CONSTRAINT "aut_authors_status_full_name_key" UNIQUE ("status", "full_name");

ALTER TABLE "aut_authors" ADD CONSTRAINT "aut_authors_check" CHECK (full_name IS NULL OR full_name <> '');

CREATE INDEX "aut_authors_status_id_idx" ON "aut_authors" ("status", "id");
