-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `users` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `name` VARCHAR(80) NOT NULL,
  `email` VARCHAR(255) NOT NULL,
  `role` TEXT NOT NULL DEFAULT 'member',
  `created_at` TEXT NOT NULL,
  `updated_at` TEXT NOT NULL,
  CONSTRAINT `users_email_key` UNIQUE (`email`),
  CONSTRAINT `users_role_check` CHECK (`role` IN ('admin', 'member'))
);

CREATE TABLE `posts` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `title` VARCHAR(200) NOT NULL,
  `body` TEXT,
  `author_id` INTEGER NOT NULL,
  CONSTRAINT `posts_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
);

CREATE INDEX `posts_author_id_idx` ON `posts` (`author_id`);
