//! PostgreSQL: `information_schema` and `pg_catalog`, native enum types, `= ANY (ARRAY[..])` CHECKs.

use crate::schema::catalog::{Catalog, CatalogSql, CheckFact};
use crate::value::{SqlType, Value};

/// The catalog of postgres.
pub(crate) struct PostgresCatalog;

impl Catalog for PostgresCatalog {
    fn queries(&self) -> &'static CatalogSql {
        &CatalogSql {
            columns: "SELECT c.table_name::text, c.column_name::text, \
                CASE WHEN c.data_type = 'USER-DEFINED' THEN 'enum:' || c.udt_name::text \
                WHEN c.character_maximum_length IS NOT NULL THEN c.udt_name::text || '(' || c.character_maximum_length || ')' \
                WHEN c.udt_name = 'numeric' AND c.numeric_precision IS NOT NULL \
                  THEN 'numeric(' || c.numeric_precision || ',' || c.numeric_scale || ')' \
                ELSE c.udt_name::text END, \
                c.is_nullable::text, c.column_default::text, \
                CASE WHEN c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%' THEN 'YES' ELSE 'NO' END, \
                COALESCE((SELECT k.ordinal_position::text FROM information_schema.table_constraints tc \
                  JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name \
                  AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name \
                  WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name \
                  AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name), '0'), \
                CASE WHEN c.is_generated = 'ALWAYS' THEN 'YES' ELSE 'NO' END \
                FROM information_schema.columns c JOIN information_schema.tables t \
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
                ORDER BY c.table_name, c.ordinal_position",
            foreign_keys: "SELECT cl.relname::text, c.conname::text, a.attname::text, rcl.relname::text, ra.attname::text, \
                CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' \
                WHEN 'r' THEN 'restrict' ELSE 'no action' END, \
                CASE c.confupdtype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' \
                WHEN 'r' THEN 'restrict' ELSE 'no action' END, k.ord::text \
                FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid \
                JOIN pg_namespace n ON n.oid = cl.relnamespace \
                CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
                JOIN pg_class rcl ON rcl.oid = c.confrelid \
                JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
                WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY 1, 2",
            checks: "SELECT cl.relname::text, c.conname::text, pg_get_constraintdef(c.oid) FROM pg_constraint c \
                JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace \
                WHERE c.contype = 'c' AND n.nspname = current_schema()",
            enum_types: Some(
                "SELECT t.typname::text, e.enumlabel::text FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
                 ORDER BY t.typname, e.enumsortorder",
            ),
        }
    }

    fn type_of(&self, raw: &str) -> Option<SqlType> {
        let (base, args) = crate::schema::catalog::split_type(raw);
        Some(match base.as_str() {
            "int2" => SqlType::SmallInt,
            "int4" => SqlType::Int,
            "int8" => SqlType::BigInt,
            "float4" => SqlType::Real,
            "float8" => SqlType::Double,
            "bool" => SqlType::Bool,
            "varchar" | "bpchar" => match args.and_then(|a| a.parse().ok()) {
                Some(n) => SqlType::Varchar(n),
                None => SqlType::Text,
            },
            "text" => SqlType::Text,
            "bytea" => SqlType::Bytes,
            "timestamptz" => SqlType::TimestampTz,
            "timestamp" => SqlType::Timestamp,
            "date" => SqlType::Date,
            "time" => SqlType::Time,
            "uuid" => SqlType::Uuid,
            "json" | "jsonb" => SqlType::Json,
            "numeric" if crate::schema::catalog::decimal_fits(args.as_deref()) => SqlType::Decimal,
            _ => return None,
        })
    }

    /// `CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text])))`.
    fn checks(&self, text: &str) -> Vec<CheckFact> {
        let Some(rest) = text.trim().strip_prefix("CHECK ((") else {
            return Vec::new();
        };
        let Some((column, list)) = rest.split_once(" = ANY (ARRAY[") else {
            return Vec::new();
        };
        vec![CheckFact::Labels(
            column.trim_matches('"').to_owned(),
            crate::schema::catalog::quoted_literals(list),
        )]
    }

    fn keys(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT CASE WHEN ix.indisunique THEN 'unique' ELSE 'index' END, i.relname::text, a.attname::text, k.ord::text \
             FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE n.nspname = current_schema() AND t.relname = $1 AND NOT ix.indisprimary"
                .into(),
            vec![Value::String(table.into())],
        )
    }
}
