-- Written by `generate --auto` from the models; review it before applying.

-- orm:guard not-null `aut_authors`.`name` VARCHAR(80) -> VARCHAR(80): NULL rows would refuse NOT NULL
SELECT COUNT(*) FROM `aut_authors` WHERE `name` IS NULL;

ALTER TABLE `aut_authors` MODIFY COLUMN `name` VARCHAR(80) NOT NULL;
