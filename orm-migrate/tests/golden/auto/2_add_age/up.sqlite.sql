-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` ADD COLUMN `age` INTEGER NOT NULL DEFAULT 0;
