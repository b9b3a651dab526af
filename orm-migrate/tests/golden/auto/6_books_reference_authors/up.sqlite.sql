-- orm:foreign-keys-off
-- (tables are rebuilt: the runner turns foreign keys off around the transaction and checks them before commit)
-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `_orm_new_aut_books` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `title` VARCHAR(120) NOT NULL,
  `author_id` INTEGER,
  CONSTRAINT `aut_books_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `aut_authors` (`id`) ON DELETE CASCADE
);

INSERT INTO `_orm_new_aut_books` (`id`, `title`, `author_id`) SELECT `id`, `title`, `author_id` FROM `aut_books`;

UPDATE sqlite_sequence SET seq = (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_books') WHERE name = '_orm_new_aut_books' AND seq < (SELECT s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_books');

INSERT INTO sqlite_sequence (name, seq) SELECT '_orm_new_aut_books', s.seq FROM sqlite_sequence AS s WHERE s.name = 'aut_books' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence AS n WHERE n.name = '_orm_new_aut_books');

DROP TABLE `aut_books`;

ALTER TABLE `_orm_new_aut_books` RENAME TO `aut_books`;

CREATE INDEX `aut_books_author_id_idx` ON `aut_books` (`author_id`);
