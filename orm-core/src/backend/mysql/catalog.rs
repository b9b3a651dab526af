//! MySQL/MariaDB: `information_schema`, `ENUM(..)` types, `json_valid` CHECKs.

use crate::schema::catalog::{Catalog, CatalogSql, CheckFact};
use crate::value::{SqlType, Value};

/// The catalog of mysql.
pub(crate) struct MySqlCatalog;

impl Catalog for MySqlCatalog {
    fn queries(&self) -> &'static CatalogSql {
        &CatalogSql {
            columns: "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
                CAST(c.IS_NULLABLE AS CHAR), CAST(c.COLUMN_DEFAULT AS CHAR), \
                CAST(IF(c.EXTRA LIKE '%auto_increment%', 'YES', 'NO') AS CHAR), \
                CAST(COALESCE((SELECT k.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE k \
                  WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME \
                  AND k.CONSTRAINT_NAME = 'PRIMARY' AND k.COLUMN_NAME = c.COLUMN_NAME), 0) AS CHAR), \
                CAST(IF(c.EXTRA LIKE '%GENERATED%' OR c.EXTRA LIKE '%VIRTUAL%' OR c.EXTRA LIKE '%PERSISTENT%' \
                  OR c.EXTRA LIKE '%STORED%', 'YES', 'NO') AS CHAR) \
                FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
                ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
                WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
                ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            foreign_keys: "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
                CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.REFERENCED_COLUMN_NAME AS CHAR), \
                CAST(IF(r.DELETE_RULE = 'RESTRICT', 'no action', LOWER(r.DELETE_RULE)) AS CHAR), \
                CAST(IF(r.UPDATE_RULE = 'RESTRICT', 'no action', LOWER(r.UPDATE_RULE)) AS CHAR), \
                CAST(k.ORDINAL_POSITION AS CHAR) \
                FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
                WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                ORDER BY 1, 2",
            // Enums are ENUM columns (their labels are in the type); the
            // checks tell MariaDB's JSON (LONGTEXT + json_valid) from text.
            checks: "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
                FROM information_schema.CHECK_CONSTRAINTS \
                WHERE CONSTRAINT_SCHEMA = DATABASE()",
            enum_types: None,
        }
    }

    fn type_of(&self, raw: &str) -> Option<SqlType> {
        let (base, args) = crate::schema::catalog::split_type(raw);
        if raw.to_ascii_lowercase().contains("unsigned") {
            return None;
        }
        Some(match base.as_str() {
            "tinyint" if args.as_deref() == Some("1") => SqlType::Bool,
            "boolean" | "bool" => SqlType::Bool,
            "smallint" => SqlType::SmallInt,
            "int" | "integer" | "mediumint" => SqlType::Int,
            "bigint" => SqlType::BigInt,
            "float" => SqlType::Real,
            "double" => SqlType::Double,
            "char" if args.as_deref() == Some("36") => SqlType::Uuid,
            "varchar" | "char" => SqlType::Varchar(args?.parse().ok()?),
            "text" | "tinytext" | "mediumtext" | "longtext" => SqlType::Text,
            "blob" | "tinyblob" | "mediumblob" | "longblob" | "varbinary" | "binary" => SqlType::Bytes,
            "datetime" | "timestamp" => SqlType::TimestampTz,
            "date" => SqlType::Date,
            "time" => SqlType::Time,
            "json" => SqlType::Json,
            "decimal" | "numeric" if crate::schema::catalog::decimal_fits(args.as_deref()) => SqlType::Decimal,
            // COLUMN_TYPE writes a label's backslash as `\\`.
            "enum" => SqlType::Enum(crate::schema::catalog::leak_labels(
                crate::schema::catalog::quoted_literals(&raw[raw.find('(')?..])
                    .into_iter()
                    .map(|l| l.replace("\\\\", "\\"))
                    .collect(),
            )),
            _ => return None,
        })
    }

    /// `json_valid(`doc`)`: MariaDB's JSON column.
    fn checks(&self, text: &str) -> Vec<CheckFact> {
        let column = text
            .trim()
            .strip_prefix("json_valid(")
            .and_then(|r| r.strip_suffix(')'));
        column
            .map(|c| CheckFact::Json(c.trim_matches('`').to_owned()))
            .into_iter()
            .collect()
    }

    fn keys(&self, table: &str) -> (String, Vec<Value>) {
        (
            "SELECT CAST(CASE WHEN NON_UNIQUE = 0 THEN 'unique' ELSE 'index' END AS CHAR), CAST(INDEX_NAME AS CHAR), \
             CAST(COLUMN_NAME AS CHAR), CAST(SEQ_IN_INDEX AS CHAR) \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             AND INDEX_NAME <> 'PRIMARY'"
                .into(),
            vec![Value::String(table.into())],
        )
    }
}
