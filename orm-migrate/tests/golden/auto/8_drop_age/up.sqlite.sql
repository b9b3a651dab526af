-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: column `aut_authors`.`age` is dropped, with its data

DROP INDEX `aut_authors_age_idx`;

ALTER TABLE `aut_authors` DROP COLUMN `age`;
