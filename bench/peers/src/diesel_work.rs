// Diesel's side of the workloads, shared by every backend: `bench/peers`
// uses it for PostgreSQL and MariaDB, and `bench/diesel-sqlite` (a separate
// process, since Diesel's libsqlite3-sys cannot link beside sqlx's)
// includes this file for SQLite.

pub mod dsl {
    diesel::table! { users (id) { id -> Int8, name -> Varchar, hair_color -> Nullable<Varchar>, } }
    diesel::table! { posts (id) { id -> Int8, user_id -> Int8, title -> Varchar, body -> Nullable<Text>, } }
    diesel::table! { comments (id) { id -> Int8, post_id -> Int8, text -> Varchar, } }
    diesel::joinable!(posts -> users (user_id));
    diesel::joinable!(comments -> posts (post_id));
    diesel::table! { counters (id) { id -> Int8, name -> Varchar, hits -> Int8, } }
    diesel::allow_tables_to_appear_in_same_query!(users, posts, comments);

    use diesel::prelude::*;
    #[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
    #[diesel(table_name = users)]
    pub struct DUser {
        pub id: i64,
        pub name: String,
        pub hair_color: Option<String>,
    }
    #[derive(Queryable, Selectable, Identifiable, Associations, Debug, Clone)]
    #[diesel(table_name = posts, belongs_to(DUser, foreign_key = user_id))]
    pub struct DPost {
        pub id: i64,
        pub user_id: i64,
        pub title: String,
        pub body: Option<String>,
    }
    #[derive(Queryable, Selectable, Identifiable, Associations, Debug, Clone)]
    #[diesel(table_name = comments, belongs_to(DPost, foreign_key = post_id))]
    pub struct DComment {
        pub id: i64,
        pub post_id: i64,
        pub text: String,
    }
    /// W9's counter.
    #[allow(dead_code)]
    #[derive(Queryable, Selectable, Debug, Clone)]
    #[diesel(table_name = counters)]
    pub struct DCounter {
        pub id: i64,
        pub name: String,
        pub hits: i64,
    }
    #[allow(dead_code)]
    #[derive(Insertable)]
    #[diesel(table_name = counters)]
    pub struct NewDCounter<'a> {
        pub name: &'a str,
        pub hits: i64,
    }
    #[derive(Insertable)]
    #[diesel(table_name = users)]
    pub struct NewDUser<'a> {
        pub name: &'a str,
        pub hair_color: Option<&'a str>,
    }
}

/// W9's 5,000 rows: `k1250`..`k6249` over the seeded `k0`..`k2499`.
pub fn upsert_rows() -> Vec<(String, i64)> {
    (1_250..6_250).map(|i| (format!("k{i}"), i)).collect()
}

/// W10's page bookkeeping, shared by every side that walks pages by hand:
/// keep the first 100 of up to 101 rows, count them, and give the key to
/// continue after (`None` on the last page).
pub fn keyset_step<T>(page: &mut Vec<T>, seen: &mut usize, key: impl Fn(&T) -> i64) -> Option<i64> {
    let more = page.len() > 100;
    page.truncate(100);
    *seen += page.len();
    page.last().filter(|_| more).map(key)
}

/// W9's upsert: `ON CONFLICT (name) DO UPDATE .. RETURNING` where the
/// backend has it; on MySQL `ON DUPLICATE KEY UPDATE` (Diesel has no
/// `excluded` there, so `VALUES(hits)` is a SQL fragment) and the stored
/// rows read back by name, as the ORM and SeaORM do there.
macro_rules! diesel_upsert {
    ($c:expr, $rows:expr, $names:expr, true) => {{
        use diesel::upsert::excluded;
        let _ = &$names; // RETURNING gives the rows back: no read by name

        let stored: Vec<dsl::DCounter> = diesel::insert_into(dsl::counters::table)
            .values(&$rows)
            .on_conflict(dsl::counters::name)
            .do_update()
            .set(dsl::counters::hits.eq(excluded(dsl::counters::hits)))
            .returning(dsl::DCounter::as_returning())
            .get_results($c)?;
        assert_eq!(stored.len(), 5_000);
    }};
    ($c:expr, $rows:expr, $names:expr, false) => {{
        diesel::insert_into(dsl::counters::table)
            .values(&$rows)
            .on_conflict(diesel::dsl::DuplicatedKeys)
            .do_update()
            .set(dsl::counters::hits.eq(diesel::dsl::sql::<diesel::sql_types::BigInt>("VALUES(hits)")))
            .execute($c)?;
        let stored: Vec<dsl::DCounter> = dsl::counters::table
            .filter(dsl::counters::name.eq_any(&$names))
            .select(dsl::DCounter::as_select())
            .load($c)?;
        assert_eq!(stored.len(), 5_000);
    }};
}

/// W5's insert: with `RETURNING id` where the backend has it.
macro_rules! diesel_insert {
    ($c:expr, $rows:expr, $n:expr, true) => {{
        let ids: Vec<i64> = diesel::insert_into(dsl::users::table)
            .values(&$rows)
            .returning(dsl::users::id)
            .get_results($c)?;
        assert_eq!(ids.len(), $n as usize);
    }};
    ($c:expr, $rows:expr, $n:expr, false) => {{
        let inserted = diesel::insert_into(dsl::users::table).values(&$rows).execute($c)?;
        assert_eq!(inserted, $n as usize);
    }};
}

/// One run of workload `$w` (`"W1"`..`"W6"`, size `$n`) on the Diesel
/// connection `$conn` (`&mut PgConnection`, `&mut MysqlConnection` or
/// `&mut SqliteConnection`). `$returning` says whether the backend can
/// return the inserted ids (`INSERT .. RETURNING`); MySQL cannot, and
/// inserts without them, as SeaORM does there.
macro_rules! diesel_workload {
    ($conn:expr, $w:expr, $n:expr, returning = $returning:tt) => {{
        use diesel::prelude::*;
        use crate::dsl;
        let conn = $conn;
        let n: i64 = $n;
        match $w {
            "W1" => {
                let rows = dsl::users::table
                    .order(dsl::users::id)
                    .limit(n)
                    .select(dsl::DUser::as_select())
                    .load(conn)
                    .unwrap();
                assert_eq!(rows.len(), n as usize);
            }
            "W2" => {
                let rows: Vec<(dsl::DUser, Option<dsl::DPost>)> = dsl::users::table
                    .left_join(dsl::posts::table)
                    .filter(dsl::users::hair_color.eq("black"))
                    .select((dsl::DUser::as_select(), Option::<dsl::DPost>::as_select()))
                    .load(conn)
                    .unwrap();
                assert_eq!(rows.len(), 5_000);
            }
            "W3" => {
                for id in 1..=100i64 {
                    let u = dsl::users::table
                        .find(id * 97)
                        .select(dsl::DUser::as_select())
                        .first(conn)
                        .optional()
                        .unwrap();
                    assert!(u.is_some());
                }
            }
            "W4" => {
                let users = dsl::users::table
                    .order(dsl::users::id)
                    .limit(n)
                    .select(dsl::DUser::as_select())
                    .load(conn)
                    .unwrap();
                let posts = dsl::DPost::belonging_to(&users)
                    .select(dsl::DPost::as_select())
                    .load(conn)
                    .unwrap();
                let comments = dsl::DComment::belonging_to(&posts)
                    .select(dsl::DComment::as_select())
                    .load(conn)
                    .unwrap();
                let grouped_comments = comments.grouped_by(&posts);
                let posts_with: Vec<Vec<(dsl::DPost, Vec<dsl::DComment>)>> =
                    posts.into_iter().zip(grouped_comments).grouped_by(&users);
                assert_eq!(posts_with.len(), n as usize);
            }
            "W5" => {
                let names: Vec<String> = (0..n).map(|i| format!("New {i}")).collect();
                let rows: Vec<dsl::NewDUser<'_>> = names
                    .iter()
                    .map(|name| dsl::NewDUser {
                        name,
                        hair_color: Some("red"),
                    })
                    .collect();
                let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
                    diesel_insert!(c, rows, n, $returning);
                    Err(diesel::result::Error::RollbackTransaction)
                });
            }
            "W9" => {
                let rows = upsert_rows();
                let new: Vec<dsl::NewDCounter<'_>> = rows
                    .iter()
                    .map(|(name, hits)| dsl::NewDCounter { name, hits: *hits })
                    .collect();
                let names: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
                let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
                    diesel_upsert!(c, new, names, $returning);
                    Err(diesel::result::Error::RollbackTransaction)
                });
            }
            "W10" => {
                // Diesel has no keyset API: the page query written by hand
                // (101 rows tell whether another page follows, as the ORM's).
                let (mut last, mut seen) = (0i64, 0usize);
                loop {
                    let mut page = dsl::users::table
                        .filter(dsl::users::id.gt(last))
                        .order(dsl::users::id)
                        .limit(101)
                        .select(dsl::DUser::as_select())
                        .load(conn)
                        .unwrap();
                    match keyset_step(&mut page, &mut seen, |u| u.id) {
                        Some(key) => last = key,
                        None => break,
                    }
                }
                assert_eq!(seen, 10_000);
            }
            _ => {
                let users = dsl::users::table
                    .order(dsl::users::id)
                    .limit(100)
                    .select(dsl::DUser::as_select())
                    .load(conn)
                    .unwrap();
                for u in users {
                    let name = format!("{}!", &u.name[..u.name.len().min(20)]);
                    diesel::update(dsl::users::table.find(u.id))
                        .set((dsl::users::name.eq(name), dsl::users::hair_color.eq(u.hair_color)))
                        .execute(conn)
                        .unwrap();
                }
            }
        }
    }};
}
