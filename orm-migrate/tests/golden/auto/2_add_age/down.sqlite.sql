-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: column `aut_authors`.`age` is dropped, with its data

ALTER TABLE `aut_authors` DROP COLUMN `age`;
