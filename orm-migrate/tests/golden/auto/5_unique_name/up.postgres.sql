-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_authors" ADD CONSTRAINT "aut_authors_name_key" UNIQUE ("name");
