-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE `aut_authors` DROP CONSTRAINT `aut_authors_check`;

ALTER TABLE `aut_authors` DROP INDEX `aut_authors_status_full_name_key`;

DROP INDEX `aut_authors_status_id_idx` ON `aut_authors`;
