//! Introspection of the test suite's schema (issue 16): its eleven models
//! synced, read back from the catalog, and compared with what the models
//! declare — every table, column, type, nullability, default, key, index,
//! UNIQUE and foreign key, on every dialect — apart from what a database
//! cannot tell (listed per dialect below, and asserted to be exactly that).
//!
//! PostgreSQL tells everything. MySQL stores `DateTime<Utc>` and
//! `NaiveDateTime` both as DATETIME, read back as the first. SQLite keeps
//! declared types only: this crate declares every integer INTEGER, every
//! float REAL, and times, UUIDs, JSON and decimals TEXT, so those read back
//! as `i64`, `f64` and `String`.

use orm_core::prelude::*;
use orm_core::{ModelMeta, Snapshot, SqlType};
use orm_tests::TestDb;
use orm_tests::models::*;

fn metas() -> Vec<&'static ModelMeta> {
    vec![
        User::META,
        Post::META,
        Tag::META,
        Comment::META,
        Profile::META,
        Employee::META,
        Sample::META,
        Country::META,
        Note::META,
        Doc::META,
        Audited::META,
    ]
}

/// The columns whose type the dialect's catalog cannot tell apart from another's.
fn untellable(d: Dialect) -> Vec<String> {
    let lossy = |t: SqlType| match d {
        Dialect::Sqlite => matches!(
            t,
            SqlType::SmallInt
                | SqlType::Int
                | SqlType::Real
                | SqlType::TimestampTz
                | SqlType::Timestamp
                | SqlType::Date
                | SqlType::Time
                | SqlType::Uuid
                | SqlType::Json
                | SqlType::Decimal
        ),
        Dialect::MySql => t == SqlType::Timestamp,
        _ => false,
    };
    let mut out: Vec<String> = metas()
        .iter()
        .flat_map(|m| m.columns.iter().map(move |c| (m.table, c)))
        .filter(|(_, c)| lossy(c.sql_type))
        .map(|(table, c)| format!("alter column {table}.{}", c.name))
        .collect();
    out.sort();
    out
}

fn schema() -> Schema {
    Schema::new()
        .model::<User>()
        .model::<Post>()
        .model::<Tag>()
        .model::<Comment>()
        .model::<Profile>()
        .model::<Employee>()
        .model::<Sample>()
        .model::<Country>()
        .model::<Note>()
        .model::<Doc>()
        .model::<Audited>()
}

async fn the_suite_schema_reads_back(t: &TestDb) {
    let models = schema();
    models.sync(&t.db).await.unwrap();
    let found = Snapshot::introspect(&t.db, &[]).await.unwrap();
    assert!(found.unmapped.is_empty(), "{:?}", found.unmapped);
    let declared = models.snapshot();
    let mut want = declared.table_names();
    want.sort();
    assert_eq!(found.snapshot.table_names(), want);
    // What would turn the database back into the models.
    let diff = found.snapshot.diff(&declared, &[]).unwrap();
    let mut left = diff.summary();
    left.sort();
    assert_eq!(left, untellable(t.dialect()));
    if t.dialect() == Dialect::Postgres {
        assert!(diff.is_empty());
    }
    // Read back as source too: one struct per table that is not a join table.
    let source = found.snapshot.to_rust();
    assert_eq!(source.matches("#[derive(Model").count(), want.len() - 1, "{source}");
}

orm_tests::dialect_tests!(the_suite_schema_reads_back);
