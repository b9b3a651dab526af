-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_authors" DROP CONSTRAINT "aut_authors_status_check";

ALTER TABLE "aut_authors" ADD CONSTRAINT "aut_authors_status_check" CHECK ("status" IN ('active', 'away'));
