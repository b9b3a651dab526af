-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: table `aut_author_tags` is dropped, with its rows
-- WARNING: table `aut_tags` is dropped, with its rows

DROP TABLE "aut_author_tags";

DROP TABLE "aut_tags";
