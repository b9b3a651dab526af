//! Column type changes written by `generate --auto` keep every stored value
//! exactly or refuse to run, changing nothing (issue 25 §2), on every
//! dialect: the cases outsiders hit (a 29-character name cut to 10, f64 to
//! f32 rounded, a time dropped by timestamptz -> date, 0.12 turned into 0
//! by f64 -> i64, SQLite leaving values its new model could not decode),
//! a new NOT NULL over NULL rows (MariaDB reported a check violation), and
//! a property run: random type changes over random rows, each either
//! applied with every value surviving or refused with the table unchanged.
//! `ORM_LOSSY_CASES` / `ORM_LOSSY_SEED` run a longer or another search.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use orm_core::{Db, Dialect, Error, Snapshot, Value, raw};
use orm_migrate::{Migration, Migrator};
use orm_tests::{TestDb, dialect_tests};

/// A snapshot of one table `name` with a key and a nullable column `v`.
fn table(name: &str, ty: &str) -> Snapshot {
    table_with(name, &format!(r#""type": "{ty}", "nullable": true"#))
}

/// A snapshot of one table `name` with a key and a column `v` described by
/// `v` (the snapshot's JSON fields).
fn table_with(name: &str, v: &str) -> Snapshot {
    Snapshot::from_json(&format!(
        r#"{{"format": 1, "tables": [{{"name": "{name}", "columns": [
            {{"name": "id", "type": "bigint", "auto_increment": true}},
            {{"name": "v", {v}}}], "primary_key": ["id"]}}]}}"#
    ))
    .unwrap()
}

/// A diff's up and down scripts for every dialect, as migration files.
fn scripts(d: &orm_core::SchemaDiff) -> Vec<(String, String)> {
    [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
        .iter()
        .flat_map(|x| {
            [
                (format!("up.{}.sql", x.name()), d.up_sql(*x)),
                (format!("down.{}.sql", x.name()), d.down_sql(*x)),
            ]
        })
        .collect()
}

/// Two migrations: create `a` (at `version`), then change it to `b`.
fn two_steps(version: u64, name: &str, a: &Snapshot, b: &Snapshot) -> Vec<Migration> {
    let create = Snapshot::empty().diff(a, &[]).unwrap();
    let change = a.diff(b, &[]).unwrap();
    vec![
        Migration::new(&format!("{version:014}_create_{name}"), scripts(&create)).unwrap(),
        Migration::new(&format!("{:014}_change_{name}", version + 1), scripts(&change)).unwrap(),
    ]
}

/// The migrations that create `name` with `v: from`, then change it to
/// `to`; what the change may lose; its PostgreSQL script (for messages).
fn migrations(version: u64, name: &str, from: &str, to: &str) -> (Vec<Migration>, String, String) {
    let (a, b) = (table(name, from), table(name, to));
    let change = a.diff(&b, &[]).unwrap();
    (
        two_steps(version, name, &a, &b),
        change.lossy().join("; "),
        change.up_sql(Dialect::Postgres),
    )
}

/// A stored value read back in a type's terms, for comparing across types.
#[derive(Debug, Clone, PartialEq)]
enum Canon {
    Null,
    Int(i128),
    Float(f64),
    Text(String),
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

fn canon(v: &Value) -> Canon {
    match v {
        Value::Null(_) => Canon::Null,
        Value::I32(n) => Canon::Int(i128::from(*n)),
        Value::I64(n) => Canon::Int(i128::from(*n)),
        Value::F32(f) => Canon::Float(f64::from(*f)),
        Value::F64(f) => Canon::Float(*f),
        Value::String(s) => Canon::Text(s.clone()),
        Value::DateTimeUtc(t) => Canon::Time(*t),
        Value::Date(d) => Canon::Date(*d),
        other => panic!("not in the pool: {other:?}"),
    }
}

/// Whether `before` survived as `after` exactly (the same number, text,
/// instant or date; a number kept as text reads back as the same number).
fn survived(before: &Canon, after: &Canon) -> bool {
    match (before, after) {
        (Canon::Int(a), Canon::Float(b)) | (Canon::Float(b), Canon::Int(a)) => *a as f64 == *b && b.fract() == 0.0,
        (Canon::Int(a), Canon::Text(s)) => s.parse::<i128>().ok() == Some(*a),
        (Canon::Float(a), Canon::Text(s)) => {
            s.parse::<f64>().ok() == Some(*a) || s.parse::<f32>().ok().map(f64::from) == Some(*a)
        }
        (Canon::Time(t), Canon::Date(d)) => t.date_naive() == *d && t.time() == chrono::NaiveTime::MIN,
        (Canon::Time(t), Canon::Text(s)) => parse_time(s) == Some(*t),
        (Canon::Date(d), Canon::Text(s)) => NaiveDate::parse_from_str(s, "%F").ok() == Some(*d),
        (Canon::Date(d), Canon::Time(t)) => t.date_naive() == *d && t.time() == chrono::NaiveTime::MIN,
        (a, b) => a == b,
    }
}

/// A time kept as text, in any server's text form of it.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_str(&format!("{s}00"), "%F %T%.f%z").ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%F %T%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// The pool of column types, their snapshot names and value makers.
const TYPES: [&str; 9] = [
    "int",
    "bigint",
    "double",
    "real",
    "varchar(8)",
    "varchar(30)",
    "text",
    "timestamptz",
    "date",
];

fn sql_type(name: &str) -> &'static str {
    TYPES.iter().find(|t| **t == name).copied().unwrap()
}

/// The type a NULL of a pool type is bound as.
fn null_type(ty: &str) -> orm_core::SqlType {
    use orm_core::SqlType::*;
    match ty {
        "int" => Int,
        "bigint" => BigInt,
        "double" => Double,
        "real" => Real,
        "timestamptz" => TimestampTz,
        "date" => Date,
        _ => Text,
    }
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn midnight(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

/// A value of `ty`, often one that a narrower type holds too.
fn value(rng: &mut Rng, ty: &str) -> Value {
    match ty {
        "int" => Value::I32(rng.pick(&[0, 7, -3, 100_000, i32::MAX, i32::MIN])),
        "bigint" => Value::I64(rng.pick(&[0, 42, -9, 5_000_000_000, i64::MAX, 1 << 53])),
        "double" => Value::F64(rng.pick(&[0.0, 3.0, -2.0, 0.12, 0.5, 1e300, 16_777_217.0, 2.5e9])),
        "real" => Value::F32(rng.pick(&[0.0, 3.0, 0.5, -7.25, 0.1, 16_777_216.0])),
        "varchar(8)" => Value::String(rng.pick(&["", "abc", "12345678", "42", "-7"]).to_owned()),
        "varchar(30)" | "text" => Value::String(
            rng.pick(&["", "short", "a name of twenty-nine letters", "12", "0.5"])
                .to_owned(),
        ),
        "timestamptz" => Value::DateTimeUtc(rng.pick(&[
            midnight(2026, 1, 2),
            midnight(1969, 12, 31),
            midnight(2026, 1, 2) + chrono::Duration::hours(13),
            midnight(2000, 2, 29) + chrono::Duration::microseconds(1),
        ])),
        "date" => Value::Date(rng.pick(&[
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
        ])),
        other => panic!("{other}"),
    }
}

/// `v` of every row of `table`, in key order, read as `ty`.
async fn read(db: &Db, t: &TestDb, table: &str, ty: &str) -> orm_core::Result<Vec<Canon>> {
    // The type in the text: PostgreSQL refuses to run a statement cached
    // before the column's type changed ("cached plan must not change result type").
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {} /* {ty} */",
        t.q("v"),
        t.q(table),
        t.q("id")
    );
    let q = || raw(sql.clone());
    Ok(match ty {
        "int" => q()
            .fetch_scalars::<Option<i32>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, |n| Canon::Int(n.into())))
            .collect(),
        "bigint" => q()
            .fetch_scalars::<Option<i64>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, |n| Canon::Int(n.into())))
            .collect(),
        "double" => q()
            .fetch_scalars::<Option<f64>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, Canon::Float))
            .collect(),
        "real" => q()
            .fetch_scalars::<Option<f32>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, |f| Canon::Float(f.into())))
            .collect(),
        "timestamptz" => q()
            .fetch_scalars::<Option<DateTime<Utc>>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, Canon::Time))
            .collect(),
        "date" => q()
            .fetch_scalars::<Option<NaiveDate>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, Canon::Date))
            .collect(),
        _ => q()
            .fetch_scalars::<Option<String>, _>(db)
            .await?
            .into_iter()
            .map(|v| v.map_or(Canon::Null, Canon::Text))
            .collect(),
    })
}

/// One case: create `table` as `from`, store `values`, migrate to `to`.
/// Applied: every value survived. Refused: the table is as it was, and the
/// change is not recorded. Returns whether it was applied.
async fn case(t: &TestDb, version: u64, table: &str, from: &str, to: &str, values: &[Value]) -> bool {
    let (steps, lossy, up) = migrations(version, table, from, to);
    Migrator::new(steps[..1].to_vec())
        .run(&t.db)
        .await
        .unwrap_or_else(|e| panic!("{table}: create {from}: {e}"));
    let runner = Migrator::new(steps);
    for v in values {
        raw(format!("INSERT INTO {} ({}) VALUES (?)", t.q(table), t.q("v")))
            .bind(v.clone())
            .execute(&t.db)
            .await
            .unwrap_or_else(|e| panic!("{table}: insert {v:?}: {e}"));
    }
    let stored = read(&t.db, t, table, from).await.unwrap();
    let before: Vec<Canon> = values.iter().map(canon).collect();
    assert!(
        stored.iter().zip(&before).all(|(s, b)| survived(b, s)),
        "{table}: {from} stores {before:?} as {stored:?}"
    );
    let outcome = match runner.run(&t.db).await {
        Ok(_) => {
            let after = read(&t.db, t, table, to)
                .await
                .unwrap_or_else(|e| panic!("{table}: {from} -> {to} applied, values unreadable as {to}: {e}\n{up}"));
            for (b, a) in before.iter().zip(&after) {
                assert!(
                    survived(b, a),
                    "{table}: {from} -> {to} applied but {b:?} became {a:?} ({lossy})\n{up}"
                );
            }
            true
        }
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("nothing was changed"),
                "{table}: {from} -> {to} failed, not by a guard: {text}\n{up}"
            );
            assert!(
                !lossy.is_empty(),
                "{table}: a lossless change {from} -> {to} was refused: {text}"
            );
            let unchanged = read(&t.db, t, table, from).await.unwrap();
            assert_eq!(unchanged, stored, "{table}: refused but changed");
            let status = runner.status(&t.db).await.unwrap();
            let pending = status.iter().filter(|s| s.state == "pending").count();
            assert_eq!(pending, 1, "{table}: the refused change is still pending: {status:?}");
            false
        }
    };
    // The next case starts from an empty history (its table stays).
    raw(format!("DELETE FROM {}", t.q("orm_migrations")))
        .execute(&t.db)
        .await
        .unwrap();
    outcome
}

/// The cases from the issue, each refused while a value would not survive
/// and applied once none would.
async fn the_reported_lossy_changes_refuse_then_apply(t: &TestDb) {
    let name = "a name of twenty-nine letters";
    assert!(
        !case(
            t,
            20260101000000,
            "l_cut",
            "varchar(30)",
            "varchar(8)",
            &[Value::String(name.into())]
        )
        .await
    );
    assert!(
        case(
            t,
            20260101000010,
            "l_cut_ok",
            "varchar(30)",
            "varchar(8)",
            &[Value::String("fits".into())]
        )
        .await
    );
    assert!(!case(t, 20260101000020, "l_f32", "double", "real", &[Value::F64(0.1)]).await);
    assert!(case(t, 20260101000030, "l_f32_ok", "double", "real", &[Value::F64(0.5)]).await);
    let at = midnight(2026, 1, 2) + chrono::Duration::hours(13);
    assert!(
        !case(
            t,
            20260101000040,
            "l_day",
            "timestamptz",
            "date",
            &[Value::DateTimeUtc(at)]
        )
        .await
    );
    assert!(
        case(
            t,
            20260101000050,
            "l_day_ok",
            "timestamptz",
            "date",
            &[Value::DateTimeUtc(midnight(2026, 1, 2))]
        )
        .await
    );
    assert!(!case(t, 20260101000060, "l_int", "double", "bigint", &[Value::F64(0.12)]).await);
    assert!(
        case(
            t,
            20260101000070,
            "l_int_ok",
            "double",
            "bigint",
            &[Value::F64(3.0), Value::F64(-2.0)]
        )
        .await
    );
}

/// A new NOT NULL over NULL rows is refused as a NOT NULL problem, naming
/// the column, on every dialect (MariaDB said "check violation").
async fn not_null_over_nulls_is_refused_naming_the_column(t: &TestDb) {
    let steps = two_steps(
        20260201000000,
        "l_nulls",
        &table("l_nulls", "bigint"),
        &table_with("l_nulls", r#""type": "bigint""#),
    );
    Migrator::new(steps[..1].to_vec()).run(&t.db).await.unwrap();
    let runner = Migrator::new(steps);
    raw(format!(
        "INSERT INTO {} ({}) VALUES (NULL), (5)",
        t.q("l_nulls"),
        t.q("v")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    let err = runner.run(&t.db).await.expect_err("a NULL row");
    let text = err.to_string();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    assert!(
        text.contains("not null violation") && text.contains("`l_nulls`.`v`"),
        "{text}"
    );
    assert!(!text.contains("check violation"), "{text}");
    raw(format!(
        "UPDATE {} SET {} = 0 WHERE {} IS NULL",
        t.q("l_nulls"),
        t.q("v"),
        t.q("v")
    ))
    .execute(&t.db)
    .await
    .unwrap();
    runner.run(&t.db).await.expect("no NULL rows left");
}

/// Random type changes over random rows: each applied with every value
/// surviving exactly, or refused with nothing changed.
async fn random_type_changes_keep_every_value_or_refuse(t: &TestDb) {
    let cases: u64 = std::env::var("ORM_LOSSY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("ORM_LOSSY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
    let (mut applied, mut refused) = (0, 0);
    for i in 0..cases {
        let from = sql_type(rng.pick(&TYPES));
        let to = sql_type(rng.pick(&TYPES));
        if from == to {
            continue;
        }
        let n = 1 + rng.next() % 4;
        let mut values: Vec<Value> = (0..n).map(|_| value(&mut rng, from)).collect();
        if rng.next().is_multiple_of(4) {
            values.push(Value::Null(null_type(from)));
        }
        let ok = case(t, 20260301000000 + i * 10, &format!("p_{i}"), from, to, &values).await;
        if ok { applied += 1 } else { refused += 1 }
    }
    assert!(
        applied > 0 && refused > 0,
        "the search saw both outcomes: {applied} applied, {refused} refused"
    );
}

/// A table change that fails on the stored rows names the table, not
/// SQLite's rebuild copy (`_orm_new_<table>`).
async fn a_failed_change_names_the_table(t: &TestDb) {
    let steps = two_steps(
        20260401000000,
        "l_dups",
        &table("l_dups", "bigint"),
        &table_with("l_dups", r#""type": "bigint", "nullable": true, "unique": true"#),
    );
    Migrator::new(steps[..1].to_vec()).run(&t.db).await.unwrap();
    raw(format!("INSERT INTO {} ({}) VALUES (5), (5)", t.q("l_dups"), t.q("v")))
        .execute(&t.db)
        .await
        .unwrap();
    let err = Migrator::new(steps).run(&t.db).await.expect_err("duplicates");
    let text = err.to_string();
    let cause = text.rsplit_once("`): ").map_or(text.as_str(), |(_, c)| c);
    assert!(cause.contains("l_dups") && !cause.contains("_orm_new_"), "{text}");
}

dialect_tests!(
    a_failed_change_names_the_table,
    the_reported_lossy_changes_refuse_then_apply,
    not_null_over_nulls_is_refused_naming_the_column,
    random_type_changes_keep_every_value_or_refuse,
);

mod names_v1 {
    use orm_core::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "gens", timestamps = false)]
    pub struct Gen {
        pub id: i64,
        #[orm(length = 40)]
        pub name: String,
    }
}

mod names_v2 {
    use orm_core::prelude::*;
    #[derive(Model, Debug, Clone)]
    #[orm(table = "gens", timestamps = false)]
    pub struct Gen {
        pub id: i64,
        #[orm(length = 10)]
        pub name: String,
    }
}

/// `generate --auto` names a lossy change and writes nothing without
/// `--allow-lossy`; with it, every dialect's script names it and guards it.
#[test]
fn generate_refuses_a_lossy_change_without_allow_lossy() {
    let dir = std::env::temp_dir().join(format!("orm-lossy-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let quiet = |_: String| {};
    let v1 = orm_core::Schema::new().model::<names_v1::Gen>();
    let v2 = orm_core::Schema::new().model::<names_v2::Gen>();
    orm_migrate::auto::generate(&dir, "gens", &v1, &[], &quiet).unwrap();
    let folders = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    assert_eq!(folders(), 1);
    let err = orm_migrate::auto::generate(&dir, "shorter", &v2, &[], &quiet).expect_err("lossy");
    let text = err.to_string();
    assert!(text.contains("--allow-lossy") && text.contains("gens.name"), "{text}");
    assert_eq!(folders(), 1, "nothing was written");
    orm_migrate::auto::generate_with(&dir, "shorter", &v2, &[], true, &quiet).unwrap();
    assert_eq!(folders(), 2);
    let written = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("_shorter"))
        .unwrap();
    for d in ["postgres", "mysql", "sqlite"] {
        let up = std::fs::read_to_string(written.join(format!("up.{d}.sql"))).unwrap();
        assert!(up.contains("-- LOSSY: `gens`.`name`"), "{d}: {up}");
        assert!(up.contains(orm_core::MIGRATION_GUARD), "{d}: {up}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
