-- Written by `generate --auto` from the models; review it before applying.

ALTER TABLE "aut_books" DROP CONSTRAINT "aut_books_author_id_fkey";

DROP INDEX "aut_books_author_id_idx";
