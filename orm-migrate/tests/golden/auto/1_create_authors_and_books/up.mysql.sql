-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_authors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `status` ENUM('active', 'away') NOT NULL,
  `name` VARCHAR(80) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE `aut_books` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `title` VARCHAR(120) NOT NULL,
  `author_id` BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
