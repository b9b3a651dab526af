-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_authors` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `status` TEXT NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  CONSTRAINT `aut_authors_status_check` CHECK (`status` IN ('active', 'away'))
);

CREATE TABLE `aut_books` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `title` VARCHAR(120) NOT NULL,
  `author_id` INTEGER
);
