-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: table `aut_books` is dropped, with its rows
-- WARNING: table `aut_authors` is dropped, with its rows

DROP TABLE `aut_books`;

DROP TABLE `aut_authors`;
