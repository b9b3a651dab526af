//! SQLite: `pragma_table_xinfo`, `pragma_foreign_key_list`, `pragma_index_list`, CHECKs read from the table's SQL.

use crate::schema::catalog::{Catalog, CatalogSql, CheckFact};
use crate::schema::def::CheckDef;
use crate::value::{SqlType, Value};

/// The catalog of sqlite.
pub(crate) struct SqliteCatalog;

impl Catalog for SqliteCatalog {
    fn queries(&self) -> &'static CatalogSql {
        &CatalogSql {
            columns: "SELECT m.name, p.name, p.type, \
                CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END, p.dflt_value, \
                CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' \
                  AND (SELECT COUNT(*) FROM pragma_table_info(m.name) k WHERE k.pk > 0) = 1 THEN 'YES' ELSE 'NO' END, \
                CAST(p.pk AS TEXT), CASE WHEN p.hidden <> 0 THEN 'YES' ELSE 'NO' END \
                FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
                WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            foreign_keys: "SELECT m.name, CAST(f.id AS TEXT), f.\"from\", f.\"table\", \
                COALESCE(f.\"to\", (SELECT k.name FROM pragma_table_info(f.\"table\") k WHERE k.pk = f.seq + 1)), \
                lower(f.on_delete), lower(f.on_update), CAST(f.seq AS TEXT) \
                FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                WHERE m.type = 'table' ORDER BY 1, 2",
            checks: "SELECT name, '', sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            enum_types: None,
        }
    }

    /// Declared types: SQLite keeps the text it was given, so the
    /// timestamps, UUIDs, decimals and JSON this crate stores as TEXT come
    /// back as text.
    fn type_of(&self, raw: &str) -> Option<SqlType> {
        let (base, args) = crate::schema::catalog::split_type(raw);
        Some(match base.as_str() {
            "integer" | "int" | "bigint" | "smallint" => SqlType::BigInt,
            "real" | "double" | "float" | "double precision" => SqlType::Double,
            "boolean" | "bool" => SqlType::Bool,
            "varchar" => SqlType::Varchar(args?.parse().ok()?),
            "text" | "clob" => SqlType::Text,
            "blob" => SqlType::Bytes,
            "date" => SqlType::Date,
            "datetime" | "timestamp" => SqlType::Timestamp,
            "numeric" | "decimal" if crate::schema::catalog::decimal_fits(args.as_deref()) => SqlType::Decimal,
            _ => return None,
        })
    }

    /// `CONSTRAINT "name" CHECK (cond)` inside a CREATE TABLE (the
    /// whole table's SQL is the row's text).
    fn named_checks(&self, _name: &str, text: &str) -> Vec<CheckDef> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("CONSTRAINT ") {
            rest = &rest[at + "CONSTRAINT ".len()..];
            let quote = rest.chars().next().unwrap_or(' ');
            let name_end = match quote {
                '"' | '`' => rest[1..].find(quote).map(|i| (rest[1..1 + i].to_owned(), i + 2)),
                _ => rest.find(' ').map(|i| (rest[..i].to_owned(), i)),
            };
            let Some((name, after)) = name_end else { break };
            let tail = rest[after..].trim_start();
            let Some(body) = tail.strip_prefix("CHECK ") else {
                continue;
            };
            // The balanced parentheses after CHECK (those in string literals aside).
            let mut depth = 0i32;
            let mut in_string = false;
            let mut end = None;
            for (i, ch) in body.char_indices() {
                match ch {
                    '\'' => in_string = !in_string,
                    '(' if !in_string => depth += 1,
                    ')' if !in_string => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(end) = end {
                let cond = crate::schema::catalog::strip_parens(&body[..=end]).to_owned();
                out.push(CheckDef { name, sql: cond });
            }
        }
        out
    }

    /// `CHECK (`role` IN ('admin', 'member'))` inside a CREATE TABLE.
    fn checks(&self, text: &str) -> Vec<CheckFact> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("CHECK (") {
            rest = &rest[at + "CHECK (".len()..];
            let Some((column, after)) = rest.split_once(" IN (") else {
                continue;
            };
            let column = column.trim().trim_matches(['`', '"']);
            if column.contains([' ', '(']) {
                continue;
            }
            let list = after.split_once("))").map_or(after, |(l, _)| l);
            out.push(CheckFact::Labels(
                column.to_owned(),
                crate::schema::catalog::quoted_literals(list),
            ));
        }
        out
    }

    fn keys(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT CASE WHEN il.\"unique\" = 1 THEN 'unique' ELSE 'index' END, il.name, ii.name, CAST(ii.seqno AS TEXT) \
             FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii WHERE il.origin <> 'pk'"
                .into(),
            vec![Value::String(table.into())],
        )
    }
}
