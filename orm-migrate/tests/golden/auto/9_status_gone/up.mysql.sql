-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` MODIFY COLUMN `status` ENUM('active', 'away', 'gone') NOT NULL;
