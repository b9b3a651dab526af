-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` MODIFY COLUMN `name` VARCHAR(80);
