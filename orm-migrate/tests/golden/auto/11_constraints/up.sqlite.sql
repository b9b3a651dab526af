-- orm:foreign-keys-off
-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)
-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `_orm_new_aut_authors` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `status` TEXT NOT NULL,
  `full_name` VARCHAR(80),
  CONSTRAINT `aut_authors_full_name_key` UNIQUE (`full_name`),
  CONSTRAINT `aut_authors_status_full_name_key` UNIQUE (`status`, `full_name`),
  CONSTRAINT `aut_authors_status_check` CHECK (`status` IN ('active', 'away', 'gone')),
  CONSTRAINT `aut_authors_check` CHECK (full_name IS NULL OR full_name <> '')
);

INSERT INTO `_orm_new_aut_authors` (`id`, `status`, `full_name`) SELECT `id`, `status`, `full_name` FROM `aut_authors`;

UPDATE sqlite_sequence SET seq = (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors') WHERE name = '_orm_new_aut_authors' AND seq < (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors');

INSERT INTO sqlite_sequence (name, seq) SELECT '_orm_new_aut_authors', s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence AS n WHERE n.name = '_orm_new_aut_authors');

DROP TABLE `aut_authors`;

ALTER TABLE `_orm_new_aut_authors` RENAME TO `aut_authors`;

CREATE INDEX `aut_authors_status_id_idx` ON `aut_authors` (`status`, `id`);
