//! The differential oracle: the same rows on every dialect, queried with
//! every filter operator, `order_by`, `min`/`max`/`sum`/`avg`, `count`,
//! `group_by`, `is_in` and JSON field comparisons, each answer compared
//! with what Rust's own semantics of the inserted values give.
//!
//! The rules the oracle holds every dialect to (README "The same answer on
//! every database"):
//! - numbers, decimals and times compare as numbers and instants, strings
//!   by their bytes (Rust's `str` order), booleans `false < true`, UUIDs by
//!   their bytes;
//! - a NULL column matches no comparison (SQL's rule, `ne` included), and
//!   orders first ascending, last descending (Rust's `Option` order);
//! - a JSON field compared with a number matches JSON numbers only, compared
//!   as `f64` (serde_json's `as_f64`: `42 == 42.0`); with a string, JSON
//!   strings only; with a boolean, JSON booleans only; a missing key, a JSON
//!   null, an array or an object matches no comparison;
//! - integer sums past `i64` are `Error::OutOfRange`; float sums and every
//!   average agree to a relative 1e-9 (no database promises an order of
//!   addition); decimal sums are exact.
//!
//! Rows and queries are drawn by proptest strategies from a fixed seed, so
//! every run asks the same questions (`CASES` per dialect).
//! `ORM_ORACLE_CASES=N` and `ORM_ORACLE_SEED=N` run a longer or another
//! search. Every disagreement is collected and printed, then fails the test.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use orm_core::Condition;
use orm_core::prelude::*;
use orm_core::{Column, Error, FieldType};
use orm_tests::{TestDb, dialect_tests};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rust_decimal::Decimal;
use serde_json::json;
use std::cmp::Ordering;
use std::fmt::Debug;
use std::str::FromStr;
use uuid::Uuid;

/// One column per comparable type.
#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
pub struct Probe {
    pub id: i64,
    pub grp: i16,
    pub small: i16,
    pub medium: i32,
    pub big: i64,
    pub single: f32,
    pub double: f64,
    pub price: Decimal,
    pub label: String,
    pub flag: bool,
    pub day: NaiveDate,
    pub local: NaiveDateTime,
    pub at: DateTime<Utc>,
    pub uid: Uuid,
    pub doc: serde_json::Value,
    pub maybe: Option<i64>,
}

/// Queries per dialect in `cargo test`.
const CASES: usize = 300;

fn cases() -> usize {
    std::env::var("ORM_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

fn runner() -> TestRunner {
    let seed = std::env::var("ORM_ORACLE_SEED")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .unwrap_or(11);
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

fn draw<T: Debug>(runner: &mut TestRunner, s: impl Strategy<Value = T>) -> T {
    s.new_tree(runner).expect("strategy").current()
}

/// JSON values stored under `"v"` (and `"n"."v"`): numbers of every shape,
/// strings that look like numbers and booleans, null, arrays, objects.
fn json_leaves() -> Vec<serde_json::Value> {
    vec![
        json!(42),
        json!(42.0),
        json!(-7),
        json!(0.5),
        json!(1e300),
        serde_json::from_str("123456789012345678901234567890").unwrap(),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9007199254740993i64),
        json!("42"),
        json!("abc"),
        json!("true"),
        json!(""),
        json!(true),
        json!(false),
        json!(null),
        json!([1, [2, 3]]),
        json!({"a": 1}),
    ]
}

/// Operands of JSON comparisons.
#[derive(Debug, Clone)]
enum JsonOperand {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

fn json_operands() -> Vec<JsonOperand> {
    use JsonOperand::*;
    vec![
        Int(42),
        Float(42.0),
        Int(-7),
        Float(0.5),
        Float(1e300),
        Float(1.2345678901234568e29),
        Int(9007199254740993),
        Int(0),
        Text("42".into()),
        Text("abc".into()),
        Text("true".into()),
        Text("".into()),
        Bool(true),
        Bool(false),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Unicode, quotes, LIKE's metacharacters, both cases.
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just('B'),
            Just('b'),
            Just('%'),
            Just('_'),
            Just('!'),
            Just('\''),
            Just('"'),
            Just('\\'),
            Just('é'),
            Just('É'),
            Just('ß'),
            Just('日'),
            Just('😀'),
            Just(' '),
            Just('9'),
        ],
        0..6,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn datetime() -> impl Strategy<Value = NaiveDateTime> {
    prop_oneof![
        // Around the epoch, both sides.
        -3_000_000_000i64..3_000_000_000i64,
        // Anywhere MySQL holds (1000-9999).
        -30_610_224_000i64..253_402_300_000i64,
    ]
    .prop_flat_map(|secs| (Just(secs), prop_oneof![Just(0u32), 0u32..1_000_000]))
    .prop_map(|(secs, micros)| {
        DateTime::from_timestamp(secs, micros * 1000)
            .expect("in range")
            .naive_utc()
    })
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        // Small, with trailing zeros.
        (-2000i64..2000, 0u32..4).prop_map(|(n, s)| Decimal::new(n, s)),
        // Many digits (up to 28 significant, at most 10 after the point).
        (any::<i64>(), 0u32..=10).prop_map(|(n, s)| Decimal::new(n, s)),
        (any::<i64>(), any::<i32>()).prop_map(|(a, b)| {
            Decimal::from_i128_with_scale(a as i128 * 1_000_000_000 + b as i128 % 1_000_000_000, 10)
        }),
    ]
}

fn f32s() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>().prop_filter("finite", |f| f.is_finite()),
        (-100i32..100).prop_map(|n| n as f32 / 8.0),
        Just(0.1f32),
        Just(-0.0f32),
        Just(f32::MAX),
        Just(f32::MIN_POSITIVE),
    ]
}

fn f64s() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite() && (f.abs() < 1e300)),
        (-100i32..100).prop_map(|n| n as f64 / 8.0),
        Just(0.1f64),
        Just(0.1f32 as f64),
        Just(16777217.0),
        Just(-0.0),
    ]
}

fn row(runner: &mut TestRunner, i: usize) -> NewProbe {
    let leaves = json_leaves();
    let edge = |lo: i64, hi: i64| prop_oneof![Just(lo), Just(hi), Just(0), lo..=hi];
    let leaf = leaves[draw(runner, 0..leaves.len())].clone();
    let doc = if i % 7 == 3 {
        json!({})
    } else if leaf.is_null() && i.is_multiple_of(2) {
        json!({"w": 1})
    } else {
        json!({"v": leaf, "n": {"v": leaf}})
    };
    let local = draw(runner, datetime());
    NewProbe {
        grp: draw(runner, 0i16..4),
        small: draw(runner, edge(i16::MIN as i64, i16::MAX as i64)) as i16,
        medium: draw(runner, edge(i32::MIN as i64, i32::MAX as i64)) as i32,
        big: draw(
            runner,
            prop_oneof![Just(i64::MIN), Just(i64::MAX), -1000i64..1000, any::<i64>()],
        ),
        single: draw(runner, f32s()),
        double: draw(runner, f64s()),
        price: draw(runner, decimal()),
        label: draw(runner, text()),
        flag: draw(runner, any::<bool>()),
        day: draw(runner, datetime()).date(),
        local,
        at: Utc.from_utc_datetime(&draw(runner, datetime())),
        uid: Uuid::from_u128(draw(runner, any::<u128>())),
        doc,
        maybe: draw(runner, prop_oneof![Just(None), (-5i64..5).prop_map(Some)]),
    }
}

/// A comparison operator the oracle asks about.
#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    In,
    NotIn,
}

const OPS: [Op; 9] = [
    Op::Eq,
    Op::Ne,
    Op::Gt,
    Op::Gte,
    Op::Lt,
    Op::Lte,
    Op::Between,
    Op::In,
    Op::NotIn,
];

/// Rust's answer for `value op operands`.
fn holds<T: PartialOrd>(value: &T, op: Op, a: &T, b: &T, list: &[T]) -> bool {
    let c = value.partial_cmp(a);
    match op {
        Op::Eq => c == Some(Ordering::Equal),
        Op::Ne => matches!(c, Some(Ordering::Less | Ordering::Greater)),
        Op::Gt => c == Some(Ordering::Greater),
        Op::Gte => matches!(c, Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt => c == Some(Ordering::Less),
        Op::Lte => matches!(c, Some(Ordering::Less | Ordering::Equal)),
        Op::Between => value >= a && value <= b,
        Op::In => list.iter().any(|x| value.partial_cmp(x) == Some(Ordering::Equal)),
        Op::NotIn => list
            .iter()
            .all(|x| matches!(value.partial_cmp(x), Some(Ordering::Less | Ordering::Greater))),
    }
}

/// The condition for `column op operands`.
fn condition<T: FieldType<Compare = T> + Clone>(
    column: Column<Probe, T>,
    op: Op,
    a: &T,
    b: &T,
    list: &[T],
) -> Condition<Probe> {
    match op {
        Op::Eq => column.eq(a.clone()),
        Op::Ne => column.ne(a.clone()),
        Op::Gt => column.gt(a.clone()),
        Op::Gte => column.gte(a.clone()),
        Op::Lt => column.lt(a.clone()),
        Op::Lte => column.lte(a.clone()),
        Op::Between => column.between(a.clone(), b.clone()),
        Op::In => column.is_in(list.to_vec()),
        Op::NotIn => column.not_in(list.to_vec()),
    }
}

/// Everything a dialect answered differently from Rust.
#[derive(Default)]
struct Findings {
    asked: usize,
    refused: usize,
    refusals: Vec<String>,
    differences: Vec<String>,
}

impl Findings {
    fn check<T: PartialEq + Debug>(&mut self, what: String, got: orm_core::Result<T>, want: T) {
        self.asked += 1;
        match got {
            Ok(got) if got == want => {}
            Ok(got) => self
                .differences
                .push(format!("{what}\n    database: {got:?}\n    rust:     {want:?}")),
            Err(Error::InvalidQuery { message }) => {
                self.refused += 1;
                self.refusals.push(format!("{what}: {message}"));
            }
            Err(e) => self.differences.push(format!("{what}\n    error: {e}")),
        }
    }
}

async fn ids(t: &TestDb, cond: Condition<Probe>) -> orm_core::Result<Vec<i64>> {
    Ok(Probe::find()
        .filter(cond)
        .order_by(Probe::ID.asc())
        .all(&t.db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

fn want_ids(rows: &[Probe], keep: impl Fn(&Probe) -> bool) -> Vec<i64> {
    rows.iter().filter(|r| keep(r)).map(|r| r.id).collect()
}

/// One filter case on a column: operands drawn from the stored values (so
/// equality hits) or fresh, compared with `holds`.
macro_rules! filter_case {
    ($f:expr, $t:expr, $runner:expr, $rows:expr, $col:expr, $field:ident, $fresh:expr) => {{
        let rows: &[Probe] = $rows;
        let pick = |runner: &mut TestRunner| {
            if draw(runner, any::<bool>()) {
                rows[draw(runner, 0..rows.len())].$field.clone()
            } else {
                draw(runner, $fresh)
            }
        };
        let op = OPS[draw($runner, 0..OPS.len())];
        let (a, b) = (pick($runner), pick($runner));
        let list: Vec<_> = (0..draw($runner, 0usize..5)).map(|_| pick($runner)).collect();
        let want = want_ids(rows, |r| holds(&r.$field, op, &a, &b, &list));
        let got = ids($t, condition($col, op, &a, &b, &list)).await;
        $f.check(
            format!("{} {op:?} {a:?} / {b:?} / {list:?}", stringify!($field)),
            got,
            want,
        );
    }};
}

async fn filters(f: &mut Findings, t: &TestDb, runner: &mut TestRunner, rows: &[Probe]) {
    for _ in 0..cases() {
        match draw(runner, 0..13) {
            0 => filter_case!(f, t, runner, rows, Probe::SMALL, small, any::<i16>()),
            1 => filter_case!(f, t, runner, rows, Probe::MEDIUM, medium, any::<i32>()),
            2 => filter_case!(f, t, runner, rows, Probe::BIG, big, any::<i64>()),
            3 => filter_case!(f, t, runner, rows, Probe::SINGLE, single, f32s()),
            4 => filter_case!(f, t, runner, rows, Probe::DOUBLE, double, f64s()),
            5 => filter_case!(f, t, runner, rows, Probe::PRICE, price, decimal()),
            6 => filter_case!(f, t, runner, rows, Probe::LABEL, label, text()),
            7 => filter_case!(f, t, runner, rows, Probe::FLAG, flag, any::<bool>()),
            8 => filter_case!(f, t, runner, rows, Probe::DAY, day, datetime().prop_map(|d| d.date())),
            9 => filter_case!(f, t, runner, rows, Probe::LOCAL, local, datetime()),
            10 => filter_case!(
                f,
                t,
                runner,
                rows,
                Probe::AT,
                at,
                datetime().prop_map(|d| Utc.from_utc_datetime(&d))
            ),
            11 => filter_case!(
                f,
                t,
                runner,
                rows,
                Probe::UID,
                uid,
                any::<u128>().prop_map(Uuid::from_u128)
            ),
            _ => nullable_case(f, t, runner, rows).await,
        }
    }
}

/// `maybe` (an `Option<i64>`): NULL matches no comparison.
async fn nullable_case(f: &mut Findings, t: &TestDb, runner: &mut TestRunner, rows: &[Probe]) {
    let op = OPS[draw(runner, 0..OPS.len())];
    let (a, b) = (draw(runner, -5i64..5), draw(runner, -5i64..5));
    let list: Vec<i64> = (0..draw(runner, 0usize..4)).map(|_| draw(runner, -5i64..5)).collect();
    let want = want_ids(rows, |r| r.maybe.is_some_and(|v| holds(&v, op, &a, &b, &list)));
    let cond = match op {
        Op::Eq => Probe::MAYBE.eq(a),
        Op::Ne => Probe::MAYBE.ne(a),
        Op::Gt => Probe::MAYBE.gt(a),
        Op::Gte => Probe::MAYBE.gte(a),
        Op::Lt => Probe::MAYBE.lt(a),
        Op::Lte => Probe::MAYBE.lte(a),
        Op::Between => Probe::MAYBE.between(a, b),
        Op::In => Probe::MAYBE.is_in(list.clone()),
        Op::NotIn => Probe::MAYBE.not_in(list.clone()),
    };
    f.check(format!("maybe {op:?} {a} / {b} / {list:?}"), ids(t, cond).await, want);
    let nulls = want_ids(rows, |r| r.maybe.is_none());
    f.check("maybe is_null".into(), ids(t, Probe::MAYBE.is_null()).await, nulls);
}

/// LIKE-family operators on the label: Rust's `str` methods.
async fn text_matching(f: &mut Findings, t: &TestDb, runner: &mut TestRunner, rows: &[Probe]) {
    for _ in 0..cases() / 6 {
        let needle = if draw(runner, any::<bool>()) {
            let label = &rows[draw(runner, 0..rows.len())].label;
            let chars: Vec<char> = label.chars().collect();
            let from = draw(runner, 0..=chars.len());
            let to = draw(runner, from..=chars.len());
            chars[from..to].iter().collect()
        } else {
            draw(runner, text())
        };
        let n = needle.as_str();
        let cases: [(&str, Condition<Probe>, Vec<i64>); 3] = [
            (
                "contains",
                Probe::LABEL.contains(n),
                want_ids(rows, |r| r.label.contains(n)),
            ),
            (
                "starts_with",
                Probe::LABEL.starts_with(n),
                want_ids(rows, |r| r.label.starts_with(n)),
            ),
            (
                "ends_with",
                Probe::LABEL.ends_with(n),
                want_ids(rows, |r| r.label.ends_with(n)),
            ),
        ];
        for (name, cond, want) in cases {
            f.check(format!("label {name} {n:?}"), ids(t, cond).await, want);
        }
    }
}

/// JSON field and path comparisons with numbers, strings and booleans.
async fn json_fields(f: &mut Findings, t: &TestDb, rows: &[Probe]) {
    let cmp_ops = [Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte];
    for operand in json_operands() {
        for op in cmp_ops {
            for nested in [false, true] {
                let field = |doc: &serde_json::Value| -> Option<serde_json::Value> {
                    let v = if nested { doc.get("n")?.get("v")? } else { doc.get("v")? };
                    Some(v.clone())
                };
                let want = want_ids(rows, |r| json_holds(field(&r.doc).as_ref(), op, &operand));
                let expr = if nested {
                    Probe::DOC.path(["n", "v"])
                } else {
                    Probe::DOC.get("v")
                };
                let value: orm_core::Value = match &operand {
                    JsonOperand::Int(i) => (*i).into(),
                    JsonOperand::Float(x) => (*x).into(),
                    JsonOperand::Text(s) => s.as_str().into(),
                    JsonOperand::Bool(b) => (*b).into(),
                };
                let cond = match op {
                    Op::Eq => expr.eq(value),
                    Op::Ne => expr.ne(value),
                    Op::Gt => expr.gt(value),
                    Op::Gte => expr.gte(value),
                    Op::Lt => expr.lt(value),
                    _ => expr.lte(value),
                };
                let path = if nested { "n.v" } else { "v" };
                f.check(format!("doc.{path} {op:?} {operand:?}"), ids(t, cond).await, want);
            }
        }
    }
}

fn json_holds(field: Option<&serde_json::Value>, op: Op, operand: &JsonOperand) -> bool {
    let Some(field) = field else { return false };
    match operand {
        JsonOperand::Int(i) => field.is_number() && holds(&field.as_f64().unwrap(), op, &(*i as f64), &0.0, &[]),
        JsonOperand::Float(x) => field.is_number() && holds(&field.as_f64().unwrap(), op, x, &0.0, &[]),
        JsonOperand::Text(s) => field.as_str().is_some_and(|v| holds(&v, op, &s.as_str(), &"", &[])),
        JsonOperand::Bool(b) => field.as_bool().is_some_and(|v| holds(&v, op, b, &false, &[])),
    }
}

/// `order_by` on every column, both directions, ties broken by id.
async fn orders(f: &mut Findings, t: &TestDb, rows: &[Probe]) {
    macro_rules! order {
        ($col:expr, $field:ident) => {
            for desc in [false, true] {
                let mut want: Vec<&Probe> = rows.iter().collect();
                want.sort_by(|x, y| {
                    let c = x.$field.partial_cmp(&y.$field).expect("comparable");
                    (if desc { c.reverse() } else { c }).then(x.id.cmp(&y.id))
                });
                let want: Vec<i64> = want.iter().map(|r| r.id).collect();
                let order = if desc { $col.desc() } else { $col.asc() };
                let got = Probe::find()
                    .order_by(order)
                    .order_by(Probe::ID.asc())
                    .all(&t.db)
                    .await
                    .map(|v| v.into_iter().map(|p| p.id).collect::<Vec<_>>());
                f.check(format!("order_by {} desc={desc}", stringify!($field)), got, want);
            }
        };
    }
    order!(Probe::SMALL, small);
    order!(Probe::MEDIUM, medium);
    order!(Probe::BIG, big);
    order!(Probe::SINGLE, single);
    order!(Probe::DOUBLE, double);
    order!(Probe::PRICE, price);
    order!(Probe::LABEL, label);
    order!(Probe::FLAG, flag);
    order!(Probe::DAY, day);
    order!(Probe::LOCAL, local);
    order!(Probe::AT, at);
    order!(Probe::UID, uid);
    order!(Probe::MAYBE, maybe);
}

/// `min`/`max` of every column, over all rows and over one group.
async fn extremes(f: &mut Findings, t: &TestDb, rows: &[Probe]) {
    macro_rules! extreme {
        ($col:expr, $field:ident) => {
            for grp in [None, Some(1i16)] {
                let subset: Vec<&Probe> = rows.iter().filter(|r| grp.is_none_or(|g| r.grp == g)).collect();
                let min = subset
                    .iter()
                    .map(|r| r.$field.clone())
                    .reduce(|a, b| if b < a { b } else { a });
                let max = subset
                    .iter()
                    .map(|r| r.$field.clone())
                    .reduce(|a, b| if b > a { b } else { a });
                let find = || match grp {
                    Some(g) => Probe::find().filter(Probe::GRP.eq(g)),
                    None => Probe::find(),
                };
                let what = stringify!($field);
                f.check(
                    format!("min {what} grp={grp:?}"),
                    find().min($col, &t.db).await,
                    min,
                );
                f.check(
                    format!("max {what} grp={grp:?}"),
                    find().max($col, &t.db).await,
                    max,
                );
            }
        };
    }
    extreme!(Probe::SMALL, small);
    extreme!(Probe::MEDIUM, medium);
    extreme!(Probe::BIG, big);
    extreme!(Probe::SINGLE, single);
    extreme!(Probe::DOUBLE, double);
    extreme!(Probe::PRICE, price);
    extreme!(Probe::LABEL, label);
    extreme!(Probe::FLAG, flag);
    extreme!(Probe::DAY, day);
    extreme!(Probe::LOCAL, local);
    extreme!(Probe::AT, at);
    extreme!(Probe::UID, uid);
}

/// A float compared to a relative 1e-9 (sums and averages).
#[derive(Debug, Clone, Copy)]
struct Approx(f64);

impl PartialEq for Approx {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0, other.0);
        a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }
}

/// `sum`, `avg`, `count` and `group_by` over all rows and each group.
async fn aggregates(f: &mut Findings, t: &TestDb, rows: &[Probe]) {
    for grp in [None, Some(0i16), Some(2i16)] {
        let subset: Vec<&Probe> = rows.iter().filter(|r| grp.is_none_or(|g| r.grp == g)).collect();
        let find = || match grp {
            Some(g) => Probe::find().filter(Probe::GRP.eq(g)),
            None => Probe::find(),
        };
        let n = subset.len();
        f.check(format!("count grp={grp:?}"), find().count(&t.db).await, n as i64);
        macro_rules! int_sum {
            ($col:expr, $field:ident) => {{
                let exact: i128 = subset.iter().map(|r| r.$field as i128).sum();
                let want = i64::try_from(exact).ok();
                let got = find().sum($col, &t.db).await;
                let what = format!("sum {} grp={grp:?}", stringify!($field));
                match want {
                    Some(sum) => f.check(what, got, (n > 0).then_some(sum)),
                    None => {
                        f.asked += 1;
                        if !matches!(got, Err(Error::OutOfRange { .. })) {
                            f.differences
                                .push(format!("{what}: past i64 should be OutOfRange, got {got:?}"));
                        }
                    }
                }
                let avg = exact as f64 / n as f64;
                let got = find().avg($col, &t.db).await.map(|v| v.map(Approx));
                f.check(
                    format!("avg {} grp={grp:?}", stringify!($field)),
                    got,
                    (n > 0).then_some(Approx(avg)),
                );
            }};
        }
        int_sum!(Probe::SMALL, small);
        int_sum!(Probe::MEDIUM, medium);
        int_sum!(Probe::BIG, big);
        let sum_single: f64 = subset.iter().map(|r| r.single as f64).sum();
        f.check(
            format!("sum single grp={grp:?}"),
            find().sum(Probe::SINGLE, &t.db).await.map(|v| v.map(Approx)),
            (n > 0).then_some(Approx(sum_single)),
        );
        let sum_double: f64 = subset.iter().map(|r| r.double).sum();
        f.check(
            format!("sum double grp={grp:?}"),
            find().sum(Probe::DOUBLE, &t.db).await.map(|v| v.map(Approx)),
            (n > 0).then_some(Approx(sum_double)),
        );
        let sum_price = subset.iter().try_fold(Decimal::ZERO, |acc, r| acc.checked_add(r.price));
        if let Some(sum_price) = sum_price {
            f.check(
                format!("sum price grp={grp:?}"),
                find().sum(Probe::PRICE, &t.db).await.map(|v| v.map(|d| d.normalize())),
                (n > 0).then_some(sum_price.normalize()),
            );
        }
    }
    // group_by: counts and sums per group, in key order.
    let mut groups: std::collections::BTreeMap<i16, (i64, i64)> = Default::default();
    for r in rows {
        let e = groups.entry(r.grp).or_default();
        e.0 += 1;
        e.1 += r.medium as i64;
    }
    let want: Vec<(i16, i64)> = groups.iter().map(|(k, v)| (*k, v.0)).collect();
    f.check(
        "group_by grp count".into(),
        Probe::find().group_by(Probe::GRP).count(&t.db).await,
        want,
    );
    let want: Vec<(i16, Option<i64>)> = groups.iter().map(|(k, v)| (*k, Some(v.1))).collect();
    f.check(
        "group_by grp sum medium".into(),
        Probe::find().group_by(Probe::GRP).sum(Probe::MEDIUM, &t.db).await,
        want,
    );
    let mut by_flag: std::collections::BTreeMap<(bool, i16), i64> = Default::default();
    for r in rows {
        *by_flag.entry((r.flag, r.grp)).or_default() += 1;
    }
    let want: Vec<((bool, i16), i64)> = by_flag.into_iter().collect();
    f.check(
        "group_by (flag, grp) count".into(),
        Probe::find().group_by((Probe::FLAG, Probe::GRP)).count(&t.db).await,
        want,
    );
    // Groups of equal values: decimals by value (1.5 and 1.50 are one
    // group), text by bytes ('a' and 'a ' are two).
    let mut by_price: std::collections::BTreeMap<Decimal, i64> = Default::default();
    for r in rows {
        *by_price.entry(r.price.normalize()).or_default() += 1;
    }
    let want: Vec<(Decimal, i64)> = by_price.into_iter().collect();
    let got = Probe::find()
        .group_by(Probe::PRICE)
        .count(&t.db)
        .await
        .map(|g| g.into_iter().map(|(k, n)| (k.normalize(), n)).collect::<Vec<_>>());
    f.check("group_by price count".into(), got, want);
    let mut by_label: std::collections::BTreeMap<String, i64> = Default::default();
    for r in rows {
        *by_label.entry(r.label.clone()).or_default() += 1;
    }
    let want: Vec<(String, i64)> = by_label.into_iter().collect();
    f.check(
        "group_by label count".into(),
        Probe::find().group_by(Probe::LABEL).count(&t.db).await,
        want,
    );
}

/// Fixed edge rows every run has, beside the drawn ones.
fn edge_rows() -> Vec<NewProbe> {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let base = |label: &str, price: &str, single: f32, double: f64, t: &str| NewProbe {
        grp: 3,
        small: 0,
        medium: 0,
        big: 0,
        single,
        double,
        price: Decimal::from_str(price).unwrap(),
        label: label.into(),
        flag: false,
        day: at(t).date_naive(),
        local: at(t).naive_utc(),
        at: at(t),
        uid: Uuid::nil(),
        doc: json!({"v": 42}),
        maybe: None,
    };
    vec![
        base("9", "9.00", 0.1, 0.1, "1969-12-31T23:59:59.999999Z"),
        base("10", "10.00", 16777216.0, 0.30000000000000004, "1970-01-01T00:00:00Z"),
        base("1.5", "1.5", 1.5, 1.5, "1960-06-15T12:30:00.5Z"),
        base("1.50", "1.50", -1.5, -1e-300, "2038-01-19T03:14:08.000001Z"),
        base(
            "a%b_c",
            "1234567890123456789.0123456789",
            3.4e38,
            1e299,
            "1000-01-01T00:00:00Z",
        ),
        base("A%B_C", "-0.0000000001", -3.4e38, -1e299, "9999-12-31T23:59:59.999999Z"),
    ]
}

async fn oracle(t: &TestDb) {
    Schema::new().model::<Probe>().sync(&t.db).await.unwrap();
    let mut runner = runner();
    let mut news = edge_rows();
    for i in 0..34 {
        news.push(row(&mut runner, i));
    }
    let mut rows = Vec::new();
    for new in news {
        rows.push(Probe::create(&t.db, new).await.expect("stored"));
    }
    // What the database holds, as read back (the round trip is roundtrip.rs's business).
    let stored = Probe::find().order_by(Probe::ID.asc()).all(&t.db).await.unwrap();
    assert_eq!(stored.len(), rows.len());
    let mut f = Findings::default();
    filters(&mut f, t, &mut runner, &stored).await;
    text_matching(&mut f, t, &mut runner, &stored).await;
    json_fields(&mut f, t, &stored).await;
    orders(&mut f, t, &stored).await;
    extremes(&mut f, t, &stored).await;
    aggregates(&mut f, t, &stored).await;
    println!(
        "oracle on {:?}: {} rows, {} questions, {} refused, {} disagreements",
        t.backend,
        stored.len(),
        f.asked,
        f.refused,
        f.differences.len()
    );
    if !f.differences.is_empty() {
        let shown: Vec<&String> = f.differences.iter().take(1000).collect();
        panic!(
            "{} answers differ from Rust's on {:?}:\n{}",
            f.differences.len(),
            t.backend,
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

dialect_tests!(oracle);
