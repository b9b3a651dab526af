-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_books` DROP FOREIGN KEY `aut_books_author_id_fkey`;

DROP INDEX `aut_books_author_id_idx` ON `aut_books`;
