-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_tags` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `label` VARCHAR(30) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE `aut_author_tags` (
  `tag_id` BIGINT NOT NULL,
  `author_id` BIGINT NOT NULL,
  PRIMARY KEY (`tag_id`, `author_id`),
  CONSTRAINT `aut_author_tags_tag_id_fkey` FOREIGN KEY (`tag_id`) REFERENCES `aut_tags` (`id`) ON DELETE CASCADE,
  CONSTRAINT `aut_author_tags_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `aut_authors` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
