-- Written by `generate --auto` from the models; review it before applying.
-- LOSSY: `aut_authors`.`status` ENUM(active, away, gone) -> ENUM(active, away): a value outside the labels would be refused (the guard below refuses the migration if a stored value would change)

-- orm:guard lossy `aut_authors`.`status` ENUM(active, away, gone) -> ENUM(active, away): a value outside the labels would be refused
SELECT COUNT(*) FROM `aut_authors` WHERE `status` NOT IN ('active', 'away');

ALTER TABLE `aut_authors` MODIFY COLUMN `status` ENUM('active', 'away') NOT NULL;
