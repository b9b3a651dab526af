-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` DROP INDEX `aut_authors_name_key`;

ALTER TABLE `aut_authors` RENAME COLUMN `name` TO `full_name`;

ALTER TABLE `aut_authors` ADD CONSTRAINT `aut_authors_full_name_key` UNIQUE (`full_name`);
