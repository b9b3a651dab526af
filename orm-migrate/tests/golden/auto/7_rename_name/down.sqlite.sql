-- orm:foreign-keys-off
-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)
-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `_orm_new_aut_authors` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `status` TEXT NOT NULL,
  `name` VARCHAR(80),
  `age` INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT `aut_authors_name_key` UNIQUE (`name`),
  CONSTRAINT `aut_authors_status_check` CHECK (`status` IN ('active', 'away'))
);

INSERT INTO `_orm_new_aut_authors` (`id`, `status`, `name`, `age`) SELECT `id`, `status`, `full_name`, `age` FROM `aut_authors`;

DROP TABLE `aut_authors`;

ALTER TABLE `_orm_new_aut_authors` RENAME TO `aut_authors`;

CREATE INDEX `aut_authors_age_idx` ON `aut_authors` (`age`);
