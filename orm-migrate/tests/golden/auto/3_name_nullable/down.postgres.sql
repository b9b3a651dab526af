-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_authors" ALTER COLUMN "name" SET NOT NULL;
