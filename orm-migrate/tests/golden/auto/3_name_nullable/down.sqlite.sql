-- orm:foreign-keys-off
-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)
-- Written by `generate --auto` from the models; review it before applying.

-- orm:guard not-null `aut_authors`.`name` VARCHAR(80) -> VARCHAR(80): NULL rows would refuse NOT NULL
SELECT COUNT(*) FROM `aut_authors` WHERE `name` IS NULL;

CREATE TABLE `_orm_new_aut_authors` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `status` TEXT NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `age` INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT `aut_authors_status_check` CHECK (`status` IN ('active', 'away'))
);

INSERT INTO `_orm_new_aut_authors` (`id`, `status`, `name`, `age`) SELECT `id`, `status`, `name`, `age` FROM `aut_authors`;

UPDATE sqlite_sequence SET seq = (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors') WHERE name = '_orm_new_aut_authors' AND seq < (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors');

INSERT INTO sqlite_sequence (name, seq) SELECT '_orm_new_aut_authors', s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_authors' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence AS n WHERE n.name = '_orm_new_aut_authors');

DROP TABLE `aut_authors`;

ALTER TABLE `_orm_new_aut_authors` RENAME TO `aut_authors`;
