//! Keyset pagination: `Find::paginate(n)` + `after(cursor)` / `before(cursor)`.
//!
//! A page is the next `n` rows in the query's order after (or before) the
//! row a cursor names, found with a WHERE on the order columns rather than
//! an OFFSET, so a page costs the same wherever it is and rows written
//! meanwhile neither repeat nor go missing. The order is the query's own
//! `order_by` columns plus the primary key (which makes it total). NULLs
//! sort as the ORM orders them everywhere: first ascending, last descending.
//!
//! A [`Cursor`] is opaque: the boundary row's order values and a
//! fingerprint of the order, base64url-encoded. A cursor made for one
//! query's order is refused by another's (`Error::InvalidQuery`).

use super::Find;
use crate::ast::{CmpOp, Cond, Direction, OrderTerm};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::meta::ColumnMeta;
use crate::model::Model;
use crate::value::{SqlType, Value};
use serde::{Deserialize, Serialize};

/// An opaque position in a keyset-paginated query: [`Page::next`] and
/// [`Page::prev`], handed back to [`Paginate::after`] / [`Paginate::before`].
/// It serializes as a URL-safe string, for a query string or a JSON body.
///
/// ```
/// use orm_core::Cursor;
/// let c: Cursor = "not a cursor".parse().unwrap(); // parsed lazily: checked when used
/// assert_eq!(c.to_string(), "not a cursor");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Cursor {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Cursor(s.to_owned()))
    }
}

/// One page of a keyset-paginated query ([`Find::paginate`]).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Post { id: i64, score: i64 }
/// # async fn demo() -> orm_core::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Schema::new().model::<Post>().sync(&db).await?;
/// for score in [5, 3, 9, 1, 7] {
///     Post::create(&db, NewPost { score }).await?;
/// }
/// let first = Post::find().order_by(Post::SCORE.desc()).paginate(2).all(&db).await?;
/// let scores: Vec<i64> = first.items.iter().map(|p| p.score).collect();
/// assert_eq!(scores, [9, 7]);
/// assert!(first.prev.is_none());
/// let second = Post::find().order_by(Post::SCORE.desc()).paginate(2).after(first.next).all(&db).await?;
/// let scores: Vec<i64> = second.items.iter().map(|p| p.score).collect();
/// assert_eq!(scores, [5, 3]);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<M> {
    /// The rows, in the query's order.
    pub items: Vec<M>,
    /// The cursor of the last row, when rows follow it: pass it to `after`.
    pub next: Option<Cursor>,
    /// The cursor of the first row, when rows come before it: pass it to `before`.
    pub prev: Option<Cursor>,
}

/// A keyset-paginated query: [`Find::paginate`], then optionally
/// [`after`](Paginate::after) or [`before`](Paginate::before), ended by
/// [`all`](Paginate::all).
#[must_use = "a query does nothing until it is run with .all(&db)"]
pub struct Paginate<M> {
    find: Find<M>,
    size: u64,
    from: Option<(Cursor, Toward)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Toward {
    After,
    Before,
}

impl<M: Model> Find<M> {
    /// Pages of `n` rows by keyset: the query's `order_by` columns plus the
    /// primary key (appended when not ordered on), NULLs first ascending and
    /// last descending. Includes and default scopes apply as with `all`.
    /// The query must order by model columns only, and set no limit or offset.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, title: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Post>().sync(&db).await?;
    /// # for t in ["a", "b", "c"] { Post::create(&db, NewPost { title: t.into() }).await?; }
    /// let page = Post::find().paginate(2).all(&db).await?; // by id
    /// assert_eq!(page.items.len(), 2);
    /// let rest = Post::find().paginate(2).after(page.next.clone()).all(&db).await?;
    /// assert_eq!(rest.items[0].title, "c");
    /// assert!(rest.next.is_none());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn paginate(self, n: u64) -> Paginate<M> {
        Paginate {
            find: self,
            size: n,
            from: None,
        }
    }
}

impl<M: Model> Paginate<M> {
    /// The page after the row `cursor` names (`None`: the first page).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Post>().sync(&db).await?;
    /// # for _ in 0..3 { Post::create(&db, NewPost {}).await?; }
    /// let cursor: Option<orm_core::Cursor> = None; // from the client, say
    /// let page = Post::find().paginate(2).after(cursor).all(&db).await?;
    /// assert_eq!(page.items.len(), 2);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn after(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
        self.from = cursor.into().map(|c| (c, Toward::After));
        self
    }

    /// The page before the row `cursor` names (`None`: the first page).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64 }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Post>().sync(&db).await?;
    /// # for _ in 0..5 { Post::create(&db, NewPost {}).await?; }
    /// let second = Post::find().paginate(2).after(Post::find().paginate(2).all(&db).await?.next).all(&db).await?;
    /// let back = Post::find().paginate(2).before(second.prev).all(&db).await?;
    /// let ids: Vec<i64> = back.items.iter().map(|p| p.id).collect();
    /// assert_eq!(ids, [1, 2]);
    /// assert!(back.prev.is_none() && back.next.is_some());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn before(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
        self.from = cursor.into().map(|c| (c, Toward::Before));
        self
    }

    /// Run it: the page's rows (includes loaded) and the cursors around them.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, score: Option<i64> }
    /// # async fn demo() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Schema::new().model::<Post>().sync(&db).await?;
    /// for score in [Some(2), None, Some(1)] {
    ///     Post::create(&db, NewPost { score }).await?;
    /// }
    /// // NULLs first ascending, on every database.
    /// let page = Post::find().order_by(Post::SCORE.asc()).paginate(10).all(&db).await?;
    /// let scores: Vec<Option<i64>> = page.items.iter().map(|p| p.score).collect();
    /// assert_eq!(scores, [None, Some(1), Some(2)]);
    /// assert!(page.next.is_none() && page.prev.is_none());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all<E: Executor + ?Sized>(self, db: &E) -> Result<Page<M>> {
        let Planned {
            find,
            keys,
            print,
            toward,
        } = self.plan()?;
        let mut items = find.all(db).await?;
        let more = items.len() as u64 > self.size;
        items.truncate(self.size as usize);
        let cursor_of = |m: &M| encode(&print, &keys.iter().map(|k| m.__value_at(k.index)).collect::<Vec<_>>());
        let (next, prev) = match toward {
            Some(Toward::Before) => {
                items.reverse();
                // The row the cursor named follows this page.
                (
                    items.last().map(cursor_of),
                    more.then(|| items.first().map(cursor_of)).flatten(),
                )
            }
            Some(Toward::After) => (
                more.then(|| items.last().map(cursor_of)).flatten(),
                items.first().map(cursor_of),
            ),
            None => (more.then(|| items.last().map(cursor_of)).flatten(), None),
        };
        Ok(Page { items, next, prev })
    }

    /// The page's SELECT as `dialect` writes it (the keyset condition, the
    /// order and a limit of one more row than the page, which tells whether
    /// another page follows).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Post { id: i64, score: i64 }
    /// let st = Post::find().order_by(Post::SCORE.desc()).paginate(20).to_sql(Dialect::Postgres)?;
    /// assert!(st.sql.ends_with("ORDER BY \"score\" DESC, \"id\" ASC LIMIT $1"), "{}", st.sql);
    /// # Ok::<(), orm_core::Error>(())
    /// ```
    pub fn to_sql(&self, dialect: crate::backend::Dialect) -> Result<crate::dialect::Statement> {
        Ok(self.plan()?.find.to_sql(dialect))
    }

    /// The query a page runs, and what turns its rows into a page.
    fn plan(&self) -> Result<Planned<M>> {
        if self.size == 0 {
            return Err(Error::invalid("paginate(0): a page needs at least one row"));
        }
        if self.find.limit.is_some() || self.find.offset.is_some() {
            return Err(Error::invalid(
                "paginate sets the query's limit and replaces its offset: remove .limit(..) and .offset(..)",
            ));
        }
        let keys = keys_of::<M>(&self.find.order)?;
        let print = fingerprint(M::META.table, &keys);
        let mut find = self.find.clone();
        let toward = self.from.as_ref().map(|(_, t)| *t);
        if let Some((cursor, toward)) = &self.from {
            let values = decode(cursor, &print, &keys)?;
            find.filter = Some(match find.filter.take() {
                None => past(&keys, &values, *toward),
                Some(prev) => Cond::And(vec![prev, past(&keys, &values, *toward)]),
            });
        }
        if toward == Some(Toward::Before) {
            // Walk backwards: the reversed order, then the rows turned round.
            find.order = keys.iter().map(|k| k.term(k.direction.flip())).collect();
        } else {
            find.order = keys.iter().map(|k| k.term(k.direction)).collect();
        }
        find.limit = Some(self.size + 1);
        Ok(Planned {
            find,
            keys,
            print,
            toward,
        })
    }
}

/// A page's query with the keyset condition, order and limit in place.
struct Planned<M> {
    find: Find<M>,
    keys: Vec<Key>,
    /// The order's fingerprint, for the page's cursors.
    print: String,
    toward: Option<Toward>,
}

impl Direction {
    fn flip(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}

/// One column of the keyset order.
struct Key {
    column: &'static ColumnMeta,
    /// Its position in the model's columns (`Model::__value_at`).
    index: usize,
    direction: Direction,
}

impl Key {
    fn term(&self, direction: Direction) -> OrderTerm {
        OrderTerm::Column(crate::ast::TypedColumn::of(self.column), direction)
    }

    fn name(&self) -> &'static str {
        self.column.name
    }
}

/// The query's order as keyset columns, the primary key appended.
fn keys_of<M: Model>(order: &[OrderTerm]) -> Result<Vec<Key>> {
    let meta = M::META;
    let find = |name: &str| meta.columns.iter().position(|c| c.name == name);
    let mut keys: Vec<Key> = Vec::new();
    for term in order {
        let OrderTerm::Column(c, direction) = term else {
            return Err(Error::invalid(
                "paginate orders by model columns only: an expression, SQL or association order cannot be a keyset",
            ));
        };
        let index = find(c.name).ok_or_else(|| Error::invalid(format!("{} has no column {}", meta.name, c.name)))?;
        if keys.iter().all(|k| k.index != index) {
            keys.push(Key {
                column: &meta.columns[index],
                index,
                direction: *direction,
            });
        }
    }
    for (index, c) in meta.columns.iter().enumerate() {
        if c.primary_key && keys.iter().all(|k| k.index != index) {
            keys.push(Key {
                column: c,
                index,
                direction: Direction::Asc,
            });
        }
    }
    Ok(keys)
}

/// Rows strictly past `values` in the keyset order (`After`), or before
/// them (`Before`): `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...`, each `>`
/// read through the column's direction and NULL placement.
fn past(keys: &[Key], values: &[Value], toward: Toward) -> Cond {
    let mut alternatives = Vec::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        let mut all: Vec<Cond> = keys[..i].iter().zip(values).map(|(k, v)| same(k, v)).collect();
        let forward = (k.direction == Direction::Asc) == (toward == Toward::After);
        match beyond(k, v, forward) {
            Some(c) => all.push(c),
            None => continue,
        }
        alternatives.push(if all.len() == 1 { all.remove(0) } else { Cond::And(all) });
    }
    match alternatives.len() {
        // Past the last NULL of every column: nothing.
        0 => Cond::Sql("1 = 0".into(), Vec::new()),
        1 => alternatives.remove(0),
        _ => Cond::Or(alternatives),
    }
}

/// `k` equal to `v` (NULL equal to NULL).
fn same(k: &Key, v: &Value) -> Cond {
    if v.is_null() {
        Cond::Null(k.name(), false)
    } else {
        Cond::Cmp(k.name(), CmpOp::Eq, v.clone())
    }
}

/// `k` strictly past `v` ascending (`forward`) or descending; NULLs sort
/// below every value. `None`: nothing is past it.
fn beyond(k: &Key, v: &Value, forward: bool) -> Option<Cond> {
    let nullable = k.column.nullable;
    match (v.is_null(), forward) {
        (true, true) => Some(Cond::Null(k.name(), true)),
        (true, false) => None,
        (false, true) => Some(Cond::Cmp(k.name(), CmpOp::Gt, v.clone())),
        (false, false) if nullable => Some(Cond::Or(vec![
            Cond::Cmp(k.name(), CmpOp::Lt, v.clone()),
            Cond::Null(k.name(), false),
        ])),
        (false, false) => Some(Cond::Cmp(k.name(), CmpOp::Lt, v.clone())),
    }
}

/// The order a cursor belongs to: table, columns and directions, hashed
/// (FNV-1a), so a cursor of another query's order is refused.
fn fingerprint(table: &str, keys: &[Key]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(table);
    for k in keys {
        eat(k.name());
        eat(if k.direction == Direction::Asc { "a" } else { "d" });
    }
    format!("{h:016x}")
}

fn encode(print: &str, values: &[Value]) -> Cursor {
    // `{"k": print, "v": [[tag, value], ..]}`, written straight into one
    // string (a page makes two cursors: no JSON tree for them).
    let mut body = String::with_capacity(32 + 24 * values.len());
    body.push_str("{\"k\":\"");
    body.push_str(print);
    body.push_str("\",\"v\":[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        write_value_json(v, &mut body);
    }
    body.push_str("]}");
    Cursor(base64url::encode(body.as_bytes()))
}

/// [`value_json`]'s text, without building the JSON value for the common
/// scalars (integers and text).
fn write_value_json(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::I16(n) => {
            let _ = write!(out, "[\"i16\",{n}]");
        }
        Value::I32(n) => {
            let _ = write!(out, "[\"i32\",{n}]");
        }
        Value::I64(n) => {
            let _ = write!(out, "[\"i64\",{n}]");
        }
        Value::String(text) => {
            out.push_str("[\"s\",");
            out.push_str(&serde_json::Value::from(text.as_str()).to_string());
            out.push(']');
        }
        other => out.push_str(&value_json(other).to_string()),
    }
}

fn decode(cursor: &Cursor, print: &str, keys: &[Key]) -> Result<Vec<Value>> {
    let bad = || Error::invalid("the cursor is not one this query made (another order, table or a damaged string)");
    let bytes = base64url::decode(&cursor.0).ok_or_else(bad)?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if body.get("k").and_then(|k| k.as_str()) != Some(print) {
        return Err(bad());
    }
    let values = body.get("v").and_then(|v| v.as_array()).ok_or_else(bad)?;
    if values.len() != keys.len() {
        return Err(bad());
    }
    keys.iter()
        .zip(values)
        .map(|(k, v)| json_value(v, k.column.sql_type).ok_or_else(bad))
        .collect()
}

/// A value as `[tag, text]`, so it decodes to the same variant.
fn value_json(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Null(_) => serde_json::Value::Null,
        Value::Bool(b) => json!(["b", b]),
        Value::I16(n) => json!(["i16", n]),
        Value::I32(n) => json!(["i32", n]),
        Value::I64(n) => json!(["i64", n]),
        // Rust prints floats so that they parse back to the same bits.
        Value::F32(f) => json!(["f32", f.to_string()]),
        Value::F64(f) => json!(["f64", f.to_string()]),
        Value::String(s) => json!(["s", s]),
        Value::Str(s) => json!(["s", s]),
        Value::Bytes(b) => json!(["x", b.iter().map(|b| format!("{b:02x}")).collect::<String>()]),
        Value::DateTimeUtc(t) => json!(["tz", t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)]),
        Value::DateTime(t) => json!(["ts", t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()]),
        Value::Date(d) => json!(["d", d.to_string()]),
        Value::Time(t) => json!(["t", t.format("%H:%M:%S%.f").to_string()]),
        Value::Uuid(u) => json!(["u", u.to_string()]),
        Value::Json(j) => json!(["j", j]),
        Value::Decimal(d) => json!(["dec", d.to_string()]),
        Value::Array(_) => serde_json::Value::Null,
    }
}

fn json_value(v: &serde_json::Value, ty: SqlType) -> Option<Value> {
    if v.is_null() {
        return Some(Value::Null(ty));
    }
    let [tag, body] = v.as_array()?.as_slice() else {
        return None;
    };
    let text = || body.as_str();
    Some(match tag.as_str()? {
        "b" => Value::Bool(body.as_bool()?),
        "i16" => Value::I16(i16::try_from(body.as_i64()?).ok()?),
        "i32" => Value::I32(i32::try_from(body.as_i64()?).ok()?),
        "i64" => Value::I64(body.as_i64()?),
        "f32" => Value::F32(text()?.parse().ok()?),
        "f64" => Value::F64(text()?.parse().ok()?),
        "s" => Value::String(text()?.to_owned()),
        "x" => {
            let t = text()?;
            let bytes = (0..t.len())
                .step_by(2)
                .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
                .collect::<Option<Vec<u8>>>()?;
            Value::Bytes(bytes)
        }
        "tz" => Value::DateTimeUtc(
            chrono::DateTime::parse_from_rfc3339(text()?)
                .ok()?
                .with_timezone(&chrono::Utc),
        ),
        "ts" => Value::DateTime(chrono::NaiveDateTime::parse_from_str(text()?, "%Y-%m-%dT%H:%M:%S%.f").ok()?),
        "d" => Value::Date(text()?.parse().ok()?),
        "t" => Value::Time(chrono::NaiveTime::parse_from_str(text()?, "%H:%M:%S%.f").ok()?),
        "u" => Value::Uuid(text()?.parse().ok()?),
        "j" => Value::Json(body.clone()),
        "dec" => Value::Decimal(text()?.parse().ok()?),
        _ => return None,
    })
}

/// URL-safe base64 without padding (RFC 4648 §5), for cursors.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.as_bytes().chunks(4) {
            if chunk.len() == 1 {
                return None;
            }
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let v = ALPHABET.iter().position(|a| a == c)? as u32;
                n |= v << (18 - 6 * i);
            }
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips() {
            for s in ["", "a", "ab", "abc", "abcd", "{\"k\":\"x\",\"v\":[[\"s\",\"é/+?\"]]}"] {
                assert_eq!(super::decode(&super::encode(s.as_bytes())).unwrap(), s.as_bytes());
            }
            assert_eq!(super::encode(b"hello"), "aGVsbG8");
            assert!(super::decode("a").is_none());
            assert!(super::decode("a=b!").is_none());
        }
    }
}
