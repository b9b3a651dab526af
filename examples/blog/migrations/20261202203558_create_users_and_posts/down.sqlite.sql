-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: table `posts` is dropped, with its rows
-- WARNING: table `users` is dropped, with its rows

DROP TABLE `posts`;

DROP TABLE `users`;
