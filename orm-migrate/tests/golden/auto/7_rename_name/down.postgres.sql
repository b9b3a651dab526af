-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_authors" DROP CONSTRAINT "aut_authors_full_name_key";

ALTER TABLE "aut_authors" RENAME COLUMN "full_name" TO "name";

ALTER TABLE "aut_authors" ADD CONSTRAINT "aut_authors_name_key" UNIQUE ("name");
