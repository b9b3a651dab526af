-- Written by `generate --auto` from the models; review it before applying.

CREATE INDEX "aut_books_author_id_idx" ON "aut_books" ("author_id");

ALTER TABLE "aut_books" ADD CONSTRAINT "aut_books_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "aut_authors" ("id") ON DELETE CASCADE;
