-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_tags` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `label` VARCHAR(30) NOT NULL
);

CREATE TABLE `aut_author_tags` (
  `tag_id` INTEGER NOT NULL,
  `author_id` INTEGER NOT NULL,
  PRIMARY KEY (`tag_id`, `author_id`),
  CONSTRAINT `aut_author_tags_tag_id_fkey` FOREIGN KEY (`tag_id`) REFERENCES `aut_tags` (`id`) ON DELETE CASCADE,
  CONSTRAINT `aut_author_tags_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `aut_authors` (`id`) ON DELETE CASCADE
);

CREATE INDEX `aut_author_tags_author_id_idx` ON `aut_author_tags` (`author_id`);
