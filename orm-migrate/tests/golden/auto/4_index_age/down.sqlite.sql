-- Written by `generate --auto` from the models; review it before applying.

DROP INDEX `aut_authors_age_idx`;
