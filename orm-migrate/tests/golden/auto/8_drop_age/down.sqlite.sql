-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` ADD COLUMN `age` INTEGER NOT NULL DEFAULT 0;

CREATE INDEX `aut_authors_age_idx` ON `aut_authors` (`age`);
