-- Written by `generate --auto` from the models; review it before applying.

CREATE INDEX "aut_authors_age_idx" ON "aut_authors" ("age");
