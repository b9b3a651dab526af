//! The rules `ir::build` enforces, one named function each (as
//! serde_derive's `check.rs`): every violation is recorded in the `Ctxt`
//! at the offending token, so all of them are reported at once.

use crate::attr::{FieldAttrs, Rule};
use crate::ctxt::Ctxt;
use crate::ir::{AssocKind, DefaultKind, Field, is_constant, is_named, last_segment};
use proc_macro2::Span;
use syn::{Ident, Type};

/// Association attributes only on association fields, column attributes
/// and `#[validate]` only on columns.
pub(crate) fn placement(cx: &mut Ctxt, ident: &Ident, attrs: &FieldAttrs, rules: &[Rule], is_assoc: bool) {
    const ASSOC_ONLY: &str = "this attribute applies to association fields (HasOne, HasMany, BelongsTo, BelongsToMany)";
    if !is_assoc {
        if let Some(p) = &attrs.through_model {
            cx.error(p, ASSOC_ONLY);
        }
        if let Some(a) = attrs.association_attr() {
            cx.error(a, ASSOC_ONLY);
        }
    } else if let Some(span) = attrs.column_attr() {
        cx.push(syn::Error::new(
            span,
            "an association field is not a column: column attributes do not apply to it",
        ));
    }
    if is_assoc && !rules.is_empty() {
        cx.error(ident, "#[validate] does not apply to association fields");
    }
}

/// A `skip` field takes no other attribute; `text` and `length` apply to
/// `String` fields, and not both.
pub(crate) fn skipped_and_sizes(cx: &mut Ctxt, ident: &Ident, inner: &Type, attrs: &FieldAttrs, rules: &[Rule]) {
    if attrs.skip.is_some() {
        let others = attrs.primary_key.is_some()
            || attrs.column.is_some()
            || attrs.index.is_some()
            || attrs.unique.is_some()
            || attrs.default.is_some()
            || attrs.default_sql.is_some()
            || attrs.text.is_some()
            || attrs.length.is_some()
            || attrs.auto_increment.is_some();
        if others || !rules.is_empty() {
            cx.error(
                ident,
                "a #[orm(skip)] field is not a column: remove its other #[orm] and #[validate] attributes",
            );
        }
    }
    let is_string = is_named(inner, &["String"]);
    if let Some(span) = attrs.text {
        if !is_string {
            cx.push(syn::Error::new(span, "`text` applies to String fields only"));
        }
        if attrs.length.is_some() {
            cx.push(syn::Error::new(
                span,
                "use either `text` (unbounded) or `length = N`, not both",
            ));
        }
    }
    if let Some((_, span)) = attrs.length
        && !is_string
    {
        cx.push(syn::Error::new(span, "`length` applies to String fields only"));
    }
}

/// What `default`/`default_sql` make of the column (not both).
pub(crate) fn default_kind(cx: &mut Ctxt, attrs: &FieldAttrs) -> DefaultKind {
    match (&attrs.default, &attrs.default_sql) {
        (Some(_), Some(sql)) => {
            cx.error(
                sql,
                "use either `default = <expr>` (a Rust value) or `default_sql` (the database's), not both",
            );
            DefaultKind::None
        }
        (Some(e), None) if is_constant(e) => DefaultKind::Constant,
        (Some(_), None) => DefaultKind::Call,
        (None, Some(_)) => DefaultKind::Sql,
        (None, None) => DefaultKind::None,
    }
}

/// The primary key: the fields marked (several: a composite key), else
/// `id`; not nullable, no `default_sql`, auto-increment only for one integer
/// key. Returns the first key field and all of them.
pub(crate) fn primary_keys(cx: &mut Ctxt, model: &Ident, fields: &mut [Field<'_>]) -> (usize, Vec<usize>) {
    let marked: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.primary_key.is_some())
        .map(|(i, _)| i)
        .collect();
    let pk = marked
        .first()
        .copied()
        .or_else(|| fields.iter().position(|f| f.ident == "id" && !f.skip));
    let pk = match pk {
        Some(i) => i,
        None => {
            cx.error(
                model,
                "a model needs a primary key: add an `id: i64` field or mark a field #[orm(primary_key)]",
            );
            0
        }
    };
    let pks = if marked.len() > 1 { marked.clone() } else { vec![pk] };
    let composite = pks.len() > 1;
    for &i in &pks {
        let Some(f) = fields.get_mut(i) else { continue };
        f.primary_key = true;
        if f.nullable {
            cx.error(f.ty, "the primary key cannot be an Option");
        }
        if f.default == DefaultKind::Sql
            && let Some(d) = &f.attrs.default_sql
        {
            cx.error(
                d,
                "a primary key cannot take `default_sql` (the ORM could not read the row back): use `default = <call>`, as in default = Uuid::now_v7()",
            );
        }
        let integer = is_named(f.inner, &["i16", "i32", "i64"]);
        f.auto_increment = match &f.attrs.auto_increment {
            Some(b) if b.value && composite => {
                cx.error(b, "a composite primary key cannot be `auto_increment`");
                false
            }
            Some(b) if b.value && !integer => {
                cx.error(b, "`auto_increment` needs an integer primary key (i16, i32 or i64)");
                false
            }
            Some(b) => b.value,
            None => integer && f.attrs.default.is_none() && !composite,
        };
    }
    for f in fields.iter() {
        if !f.primary_key
            && let Some(b) = &f.attrs.auto_increment
        {
            cx.error(b, "`auto_increment` applies to the primary key only");
        }
    }
    (pk, pks)
}

/// No two fields map to one column.
pub(crate) fn distinct_columns(cx: &mut Ctxt, fields: &[Field<'_>]) {
    let mut seen: Vec<&str> = Vec::new();
    for f in fields.iter().filter(|f| !f.skip) {
        if seen.contains(&f.column.as_str()) {
            cx.error(f.ident, format!("two fields map to the column `{}`", f.column));
        }
        seen.push(&f.column);
    }
}

/// A belongs-to's foreign key is a field of the model, and every
/// `foreign_key` names a field.
pub(crate) fn foreign_keys(cx: &mut Ctxt, model: &Ident, fields: &[Field<'_>]) {
    for f in fields {
        let Some(a) = &f.assoc else { continue };
        for fk in &a.foreign_keys {
            if a.kind == AssocKind::BelongsTo && !fields.iter().any(|c| !c.skip && c.ident == fk.as_str()) {
                cx.push(syn::Error::new(
                    a.fk_span,
                    format!(
                        "the foreign key `{fk}` is not a field of {model}: add `{fk}: i64` (or `Option<i64>`) or name the field with #[orm(foreign_key = \"...\")]"
                    ),
                ));
            }
            if a.kind != AssocKind::BelongsToMany && syn::parse_str::<Ident>(fk).is_err() {
                cx.push(syn::Error::new(
                    a.fk_span,
                    "`foreign_key` must name a field, as in foreign_key = \"author_id\"",
                ));
            }
        }
    }
}

/// `paranoid`: the `deleted_at: Option<DateTime<Utc>>` field, managed by the ORM.
pub(crate) fn deleted_at(cx: &mut Ctxt, fields: &mut [Field<'_>], span: Span) -> Option<usize> {
    let Some(i) = fields.iter().position(|f| !f.skip && f.ident == "deleted_at") else {
        cx.push(syn::Error::new(
            span,
            "`paranoid` needs a field `deleted_at: Option<DateTime<Utc>>`",
        ));
        return None;
    };
    let f = &mut fields[i];
    let is_time = last_segment(f.inner).is_some_and(|(id, _)| id == "DateTime");
    if !f.nullable || !is_time {
        cx.error(f.ty, "a paranoid model's `deleted_at` must be `Option<DateTime<Utc>>`");
    }
    f.managed = true;
    Some(i)
}

/// `version`: the `version: i32` (or `i64`) field, managed by the ORM.
pub(crate) fn version(cx: &mut Ctxt, fields: &mut [Field<'_>], span: Span) -> Option<usize> {
    let Some(i) = fields.iter().position(|f| !f.skip && f.ident == "version") else {
        cx.push(syn::Error::new(
            span,
            "`version` needs a field `version: i32` (or `i64`)",
        ));
        return None;
    };
    let f = &mut fields[i];
    if f.nullable || !is_named(f.inner, &["i32", "i64"]) {
        cx.error(f.ty, "the `version` column must be `i32` or `i64`");
    }
    f.managed = true;
    Some(i)
}

/// `unique(a, b)` / `index(a, b)` name two or more distinct column fields,
/// and no set is given twice; the result is the sets as column names.
pub(crate) fn field_sets(
    cx: &mut Ctxt,
    kind: &str,
    sets: &[crate::attr::FieldSet],
    fields: &[Field<'_>],
) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for set in sets {
        if set.fields.len() < 2 {
            cx.push(syn::Error::new(
                set.span,
                format!("`{kind}(..)` on the model takes two or more fields; for one column write #[orm({kind})] on the field"),
            ));
            continue;
        }
        let mut columns = Vec::new();
        for ident in &set.fields {
            match fields.iter().find(|f| f.ident == ident) {
                None => cx.error(ident, format!("`{ident}` is not a field of this model")),
                Some(f) if f.skip => cx.error(
                    ident,
                    format!(
                        "`{ident}` is not a column (an association or a skipped field): `{kind}(..)` takes columns"
                    ),
                ),
                Some(f) if columns.contains(&f.column) => cx.error(ident, format!("`{ident}` is named twice")),
                Some(f) => columns.push(f.column.clone()),
            }
        }
        if columns.len() != set.fields.len() {
            continue;
        }
        if out.contains(&columns) {
            cx.push(syn::Error::new(set.span, format!("this `{kind}(..)` is given twice")));
            continue;
        }
        out.push(columns);
    }
    out
}

/// `check = ".."` is not empty.
pub(crate) fn checks(cx: &mut Ctxt, checks: &[syn::LitStr]) -> Vec<String> {
    for c in checks.iter().filter(|c| c.value().trim().is_empty()) {
        cx.error(
            c,
            "`check` needs an SQL condition, as in #[orm(check = \"credit >= 0\")]",
        );
    }
    checks.iter().map(|c| c.value()).collect()
}

/// A belongs-to's `scope(..)` names columns of this model (its type
/// column), which take the scope's text.
pub(crate) fn belongs_to_scopes(cx: &mut Ctxt, fields: &[Field<'_>]) {
    for a in fields.iter().filter_map(|f| f.assoc.as_ref()) {
        if a.kind != AssocKind::BelongsTo {
            continue;
        }
        for (ident, _) in &a.scope {
            if !fields.iter().any(|f| !f.skip && f.ident == ident) {
                cx.error(
                    ident,
                    format!(
                        "`{ident}` is not a column of this model: a BelongsTo's scope names this model's type column"
                    ),
                );
            }
        }
    }
}

/// A has-many/has-one's composite foreign key has one column per column of
/// this model's primary key (a belongs-to's is checked against the target's
/// key where it is used: the derive cannot see the target).
pub(crate) fn composite_keys(cx: &mut Ctxt, fields: &[Field<'_>], pk_count: usize) {
    for a in fields.iter().filter_map(|f| f.assoc.as_ref()) {
        let has = matches!(a.kind, AssocKind::HasMany | AssocKind::HasOne);
        if has && a.foreign_keys.len() != pk_count && (a.foreign_keys.len() > 1 || pk_count > 1) {
            cx.push(syn::Error::new(
                a.fk_span,
                format!(
                    "this model's primary key has {pk_count} column(s), so the foreign key pointing at it needs as many: write foreign_key = [..] with one field per key column, in key order"
                ),
            ));
        }
    }
}
