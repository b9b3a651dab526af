-- orm:foreign-keys-off
-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)
-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `_orm_new_aut_authors` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `status` TEXT NOT NULL,
  `full_name` VARCHAR(80),
  CONSTRAINT `aut_authors_full_name_key` UNIQUE (`full_name`),
  CONSTRAINT `aut_authors_status_check` CHECK (`status` IN ('active', 'away', 'gone'))
);

INSERT INTO `_orm_new_aut_authors` (`id`, `status`, `full_name`) SELECT `id`, `status`, `full_name` FROM `aut_authors`;

DROP TABLE `aut_authors`;

ALTER TABLE `_orm_new_aut_authors` RENAME TO `aut_authors`;
