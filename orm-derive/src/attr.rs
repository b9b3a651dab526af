//! Stage one: `#[orm(..)]` and `#[validate(..)]` parsed into typed values.
//! Every mistake is reported with a span and the correct form.

use crate::ctxt::Ctxt;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, LitBool, LitStr, Path};

const MODEL_KEYS: &str =
    "table, timestamps, paranoid, version, hooks, default_scope, validate, unique, index, check, crate";
const FIELD_KEYS: &str = "primary_key, auto_increment, column, index, unique, default, default_sql, text, length, skip, foreign_key, through, other_key, on_delete, on_update, singular, scope";
const ACTIONS: &[&str] = &["cascade", "set null", "restrict", "no action", "set default"];
const ENUM_KEYS: &str = "rename_all, crate";
const VARIANT_KEYS: &str = "rename";
const VALIDATORS: &str = "email, url, length, range, regex, contains, custom, non_control_character";

/// `#[orm(..)]` on the struct.
#[derive(Default)]
pub(crate) struct ModelAttrs {
    pub table: Option<LitStr>,
    pub timestamps: Option<LitBool>,
    pub paranoid: Option<Span>,
    pub version: Option<Span>,
    pub hooks: Option<Span>,
    /// `default_scope = Self::live`: a `fn(Find<Self>) -> Find<Self>`.
    pub default_scope: Option<Path>,
    /// `validate = Self::check`: a `fn(&Self) -> Result<(), FieldErrors>`.
    pub validate: Option<Path>,
    /// `crate = "my_orm"`: the path generated code names orm-core by.
    pub krate: Option<Path>,
    /// `unique(a, b)`, repeatable: multi-column unique keys, by field name.
    pub unique_sets: Vec<FieldSet>,
    /// `index(a, b)`, repeatable: multi-column indexes, by field name.
    pub index_sets: Vec<FieldSet>,
    /// `check = "credit >= 0"`, repeatable: table CHECK constraints.
    pub checks: Vec<LitStr>,
}

/// The fields of one `unique(..)` or `index(..)`, with the attribute's span.
pub(crate) struct FieldSet {
    pub fields: Vec<syn::Ident>,
    pub span: Span,
}

/// `unique(a, b)`: field names, no values.
fn field_set(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<FieldSet> {
    let span = syn::spanned::Spanned::span(&meta.path);
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!(
            "model-level `{name}` lists fields: write #[orm({name}(tenant_id, email))] (for one column, put #[orm({name})] on the field)"
        )));
    }
    let mut fields = Vec::new();
    meta.parse_nested_meta(|inner| {
        let Some(ident) = inner.path.get_ident() else {
            return Err(inner.error(format!(
                "`{name}(..)` lists field names, as in {name}(tenant_id, email)"
            )));
        };
        if inner.input.peek(syn::Token![=]) || inner.input.peek(syn::token::Paren) {
            return Err(inner.error(format!("`{name}(..)` lists field names without values")));
        }
        fields.push(ident.clone());
        Ok(())
    })?;
    Ok(FieldSet { fields, span })
}

/// `#[orm(..)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub primary_key: Option<Span>,
    pub auto_increment: Option<LitBool>,
    pub column: Option<LitStr>,
    pub index: Option<Span>,
    pub unique: Option<Span>,
    pub default: Option<Expr>,
    pub default_sql: Option<LitStr>,
    pub text: Option<Span>,
    pub length: Option<(u32, Span)>,
    pub skip: Option<Span>,
    pub foreign_key: Option<LitStr>,
    /// `foreign_key = ["tenant_id", "order_no"]`: the key's columns after
    /// the first (which is `foreign_key`).
    pub foreign_key_more: Vec<LitStr>,
    pub through: Option<LitStr>,
    /// `through = PlaylistTrack`: a join table that is a model of its own.
    pub through_model: Option<Path>,
    pub other_key: Option<LitStr>,
    pub on_delete: Option<LitStr>,
    pub on_update: Option<LitStr>,
    pub singular: Option<LitStr>,
    /// `scope(commentable_type = "image")`: a polymorphic association's
    /// type columns (field names) and values.
    pub scope: Vec<(syn::Ident, LitStr)>,
}

impl FieldAttrs {
    /// The first association-only attribute given, for "misplaced" errors.
    pub(crate) fn association_attr(&self) -> Option<&LitStr> {
        self.foreign_key
            .as_ref()
            .or(self.through.as_ref())
            .or(self.other_key.as_ref())
            .or(self.on_delete.as_ref())
            .or(self.on_update.as_ref())
            .or(self.singular.as_ref())
            .or(self.scope.first().map(|(_, v)| v))
    }

    /// The first column-only attribute given.
    pub(crate) fn column_attr(&self) -> Option<Span> {
        self.primary_key
            .or(self.index)
            .or(self.unique)
            .or(self.text)
            .or(self.skip)
            .or(self.length.map(|l| l.1))
            .or(self.column.as_ref().map(|c| c.span()))
            .or(self.default.as_ref().map(syn::spanned::Spanned::span))
            .or(self.default_sql.as_ref().map(|d| d.span()))
            .or(self.auto_increment.as_ref().map(|b| b.span))
    }
}

/// One `#[validate(..)]` rule.
pub(crate) struct Rule {
    pub kind: RuleKind,
    pub message: Option<LitStr>,
}

pub(crate) enum RuleKind {
    Email,
    Url,
    NonControlCharacter,
    Length {
        min: Option<Expr>,
        max: Option<Expr>,
        equal: Option<Expr>,
    },
    Range {
        min: Option<Expr>,
        max: Option<Expr>,
        exclusive_min: Option<Expr>,
        exclusive_max: Option<Expr>,
    },
    Regex(Expr),
    Contains(Expr),
    Custom(Path),
}

/// `#[orm(..)]` on a `DbEnum` and its variants.
#[derive(Default)]
pub(crate) struct EnumAttrs {
    pub rename_all: Option<LitStr>,
    /// `crate = "my_orm"`, as on a model.
    pub krate: Option<Path>,
}

fn is_orm(a: &Attribute) -> bool {
    a.path().is_ident("orm")
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, name: &str) {
    if slot.is_some() {
        cx.error(&meta.path, format!("duplicate attribute `{name}`"));
    } else {
        *slot = Some(value);
    }
}

/// An expression without the invisible group a `macro_rules!` fragment
/// (`$table:literal`) is wrapped in.
fn ungroup(expr: Expr) -> Expr {
    match expr {
        Expr::Group(g) => ungroup(*g.expr),
        other => other,
    }
}

fn lit_str(meta: &ParseNestedMeta<'_>, name: &str, example: &str) -> syn::Result<LitStr> {
    let v = meta.value()?;
    let expr: Expr = v.parse()?;
    match ungroup(expr) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` expects a string, as in #[orm({name} = \"{example}\")]"),
        )),
    }
}

fn lit_bool(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<LitBool> {
    let v = meta.value()?;
    let expr: Expr = v.parse()?;
    match ungroup(expr) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b), ..
        }) => Ok(b),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` expects `true` or `false`, as in #[orm({name} = false)]"),
        )),
    }
}

fn lit_u32(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<(u32, Span)> {
    let v = meta.value()?;
    let expr: Expr = ungroup(v.parse()?);
    match &expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i), ..
        }) => {
            let n: u32 = i.base10_parse()?;
            if n == 0 {
                return Err(syn::Error::new_spanned(i, format!("`{name}` must be at least 1")));
            }
            Ok((n, i.span()))
        }
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` expects a positive integer, as in #[orm({name} = 80)]"),
        )),
    }
}

/// `crate = "path"`: the path of orm-core as the user's crate names it
/// (for crates that re-export it), as serde's `#[serde(crate = "..")]`.
fn crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let s = lit_str(meta, "crate", "my_app::orm")?;
    s.parse_with(Path::parse_mod_style)
        .map_err(|_| syn::Error::new_spanned(&s, "`crate` expects a path, as in #[orm(crate = \"my_app::orm\")]"))
}

/// The path generated code names orm-core by: `crate = ".."` or `::orm_core`.
pub(crate) fn orm_path(krate: &Option<Path>) -> Path {
    krate.clone().unwrap_or_else(|| syn::parse_quote!(::orm_core))
}

/// `key = path::to::function` (a function path, not a call or a string).
fn fn_path(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<Path> {
    let v = meta.value()?;
    let expr: Expr = v.parse()?;
    match expr {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{name}` expects a function path, as in #[orm({name} = Self::{})]",
                if name == "validate" { "check" } else { "live" }
            ),
        )),
    }
}

fn no_value(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<Span> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("`{name}` takes no value: write #[orm({name})]")));
    }
    Ok(syn::spanned::Spanned::span(&meta.path))
}

fn key(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.get_ident().map(|i| i.to_string()).unwrap_or_else(|| {
        let p = &meta.path;
        quote::quote!(#p).to_string().replace(" ", "")
    })
}

pub(crate) fn model_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ModelAttrs {
    let mut out = ModelAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let res = attr.parse_nested_meta(|meta| {
            match key(&meta).as_str() {
                "table" => {
                    let s = lit_str(&meta, "table", "users")?;
                    set_once(cx, &mut out.table, s, &meta, "table");
                }
                "timestamps" => {
                    let b = lit_bool(&meta, "timestamps")?;
                    set_once(cx, &mut out.timestamps, b, &meta, "timestamps");
                }
                "crate" => {
                    let p = crate_path(&meta)?;
                    set_once(cx, &mut out.krate, p, &meta, "crate");
                }
                "unique" => out.unique_sets.push(field_set(&meta, "unique")?),
                "index" => out.index_sets.push(field_set(&meta, "index")?),
                "check" => out.checks.push(lit_str(&meta, "check", "credit >= 0")?),
                k @ ("default_scope" | "validate") => {
                    let f = fn_path(&meta, k)?;
                    let slot = if k == "validate" {
                        &mut out.validate
                    } else {
                        &mut out.default_scope
                    };
                    set_once(cx, slot, f, &meta, k);
                }
                k @ ("paranoid" | "version" | "hooks") => {
                    let span = no_value(&meta, k)?;
                    let slot = match k {
                        "paranoid" => &mut out.paranoid,
                        "version" => &mut out.version,
                        _ => &mut out.hooks,
                    };
                    set_once(cx, slot, span, &meta, k);
                }
                other => {
                    return Err(meta.error(format!(
                        "unknown model attribute `{other}`; expected one of: {MODEL_KEYS}"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let res = attr.parse_nested_meta(|meta| {
            match key(&meta).as_str() {
                "primary_key" => {
                    let s = no_value(&meta, "primary_key")?;
                    set_once(cx, &mut out.primary_key, s, &meta, "primary_key");
                }
                "auto_increment" => {
                    let b = lit_bool(&meta, "auto_increment")?;
                    set_once(cx, &mut out.auto_increment, b, &meta, "auto_increment");
                }
                "column" => {
                    let s = lit_str(&meta, "column", "email_address")?;
                    if s.value().is_empty() {
                        cx.error(&s, "`column` cannot be empty");
                    }
                    set_once(cx, &mut out.column, s, &meta, "column");
                }
                "index" => {
                    let s = no_value(&meta, "index")?;
                    set_once(cx, &mut out.index, s, &meta, "index");
                }
                "unique" => {
                    let s = no_value(&meta, "unique")?;
                    set_once(cx, &mut out.unique, s, &meta, "unique");
                }
                "default" => {
                    let e: Expr = meta.value()?.parse()?;
                    set_once(cx, &mut out.default, e, &meta, "default");
                }
                "default_sql" => {
                    let s = lit_str(&meta, "default_sql", "CURRENT_TIMESTAMP")?;
                    if s.value().trim().is_empty() {
                        cx.error(&s, "`default_sql` cannot be empty");
                    }
                    set_once(cx, &mut out.default_sql, s, &meta, "default_sql");
                }
                "text" => {
                    let s = no_value(&meta, "text")?;
                    set_once(cx, &mut out.text, s, &meta, "text");
                }
                "length" => {
                    let n = lit_u32(&meta, "length")?;
                    set_once(cx, &mut out.length, n, &meta, "length");
                }
                "skip" => {
                    let s = no_value(&meta, "skip")?;
                    set_once(cx, &mut out.skip, s, &meta, "skip");
                }
                "through" => {
                    let expr: Expr = meta.value()?.parse()?;
                    match expr {
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s), ..
                        }) => {
                            if s.value().is_empty() {
                                cx.error(&s, "`through` cannot be empty");
                            }
                            set_once(cx, &mut out.through, s, &meta, "through");
                        }
                        Expr::Path(p) if p.qself.is_none() => {
                            set_once(cx, &mut out.through_model, p.path, &meta, "through");
                        }
                        other => {
                            return Err(syn::Error::new_spanned(
                                other,
                                "`through` expects a join table or a model, as in #[orm(through = \"post_tags\")] or #[orm(through = PlaylistTrack)]",
                            ));
                        }
                    }
                }
                "scope" => {
                    if !out.scope.is_empty() {
                        return Err(meta.error("`scope` is given twice: list every column in one scope(..)"));
                    }
                    meta.parse_nested_meta(|inner| {
                        let Some(ident) = inner.path.get_ident().cloned() else {
                            return Err(inner.error("`scope(..)` takes field = \"value\" pairs, as in scope(commentable_type = \"image\")"));
                        };
                        let value = lit_str(&inner, &ident.to_string(), "image")?;
                        if out.scope.iter().any(|(i, _)| *i == ident) {
                            return Err(inner.error(format!("`{ident}` is named twice in this scope")));
                        }
                        out.scope.push((ident, value));
                        Ok(())
                    })?;
                    if out.scope.is_empty() {
                        return Err(meta.error("`scope(..)` needs a field = \"value\" pair, as in scope(commentable_type = \"image\")"));
                    }
                }
                "foreign_key" if meta.input.peek(syn::Token![=]) && meta.input.peek2(syn::token::Bracket) => {
                    let e: Expr = meta.value()?.parse()?;
                    let Expr::Array(list) = e else { unreachable!("peeked a bracket") };
                    let mut names = Vec::new();
                    for item in &list.elems {
                        match ungroup(item.clone()) {
                            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) if !s.value().is_empty() => names.push(s),
                            other => {
                                return Err(syn::Error::new_spanned(
                                    other,
                                    "a composite foreign key lists field names, as in foreign_key = [\"tenant_id\", \"order_no\"]",
                                ));
                            }
                        }
                    }
                    if names.is_empty() {
                        return Err(syn::Error::new_spanned(&list, "`foreign_key = [..]` needs at least one field"));
                    }
                    let first = names.remove(0);
                    set_once(cx, &mut out.foreign_key, first, &meta, "foreign_key");
                    out.foreign_key_more = names;
                }
                k @ ("foreign_key" | "other_key" | "singular") => {
                    let s = lit_str(&meta, k, "author_id")?;
                    if s.value().is_empty() {
                        cx.error(&s, format!("`{k}` cannot be empty"));
                    }
                    let slot = match k {
                        "foreign_key" => &mut out.foreign_key,
                        "other_key" => &mut out.other_key,
                        _ => &mut out.singular,
                    };
                    set_once(cx, slot, s, &meta, k);
                }
                k @ ("on_delete" | "on_update") => {
                    let s = lit_str(&meta, k, "cascade")?;
                    if !ACTIONS.contains(&s.value().to_ascii_lowercase().as_str()) {
                        cx.error(
                            &s,
                            format!(
                                "unknown `{k}` action `{}`; expected one of: {}",
                                s.value(),
                                ACTIONS.join(", ")
                            ),
                        );
                    }
                    let slot = if k == "on_delete" {
                        &mut out.on_delete
                    } else {
                        &mut out.on_update
                    };
                    set_once(cx, slot, s, &meta, k);
                }
                other => {
                    return Err(meta.error(format!(
                        "unknown field attribute `{other}`; expected one of: {FIELD_KEYS}"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

fn nested_exprs(
    meta: &ParseNestedMeta<'_>,
    allowed: &[&str],
    rule: &str,
    mut f: impl FnMut(&str, Expr),
    message: &mut Option<LitStr>,
) -> syn::Result<()> {
    meta.parse_nested_meta(|inner| {
        let k = key(&inner);
        if k == "message" {
            let e: Expr = inner.value()?.parse()?;
            match e {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) => *message = Some(s),
                other => return Err(syn::Error::new_spanned(other, "`message` expects a string")),
            }
            return Ok(());
        }
        if k == "code" {
            let _: Expr = inner.value()?.parse()?;
            return Ok(());
        }
        if !allowed.contains(&k.as_str()) {
            return Err(inner.error(format!(
                "unknown argument `{k}` for `{rule}`; expected one of: {}, message",
                allowed.join(", ")
            )));
        }
        let e: Expr = inner.value()?.parse()?;
        f(&k, e);
        Ok(())
    })
}

fn custom_path(e: Expr) -> syn::Result<Path> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => s.parse(),
        Expr::Path(p) => Ok(p.path),
        other => Err(syn::Error::new_spanned(
            other,
            "`function` expects a path, as in custom(function = \"check_name\")",
        )),
    }
}

pub(crate) fn validate_rules(cx: &mut Ctxt, attrs: &[Attribute]) -> Vec<Rule> {
    let mut rules = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("validate")) {
        let res = attr.parse_nested_meta(|meta| {
            let k = key(&meta);
            let mut message = None;
            let kind = match k.as_str() {
                "email" | "url" | "non_control_character" => {
                    if meta.input.peek(syn::token::Paren) {
                        nested_exprs(&meta, &[], &k, |_, _| {}, &mut message)?;
                    }
                    match k.as_str() {
                        "email" => RuleKind::Email,
                        "url" => RuleKind::Url,
                        _ => RuleKind::NonControlCharacter,
                    }
                }
                "length" => {
                    let (mut min, mut max, mut equal) = (None, None, None);
                    nested_exprs(
                        &meta,
                        &["min", "max", "equal"],
                        "length",
                        |k, e| match k {
                            "min" => min = Some(e),
                            "max" => max = Some(e),
                            _ => equal = Some(e),
                        },
                        &mut message,
                    )?;
                    if min.is_none() && max.is_none() && equal.is_none() {
                        return Err(meta.error("`length` needs min, max or equal, as in length(min = 1, max = 80)"));
                    }
                    RuleKind::Length { min, max, equal }
                }
                "range" => {
                    let (mut min, mut max, mut emin, mut emax) = (None, None, None, None);
                    nested_exprs(
                        &meta,
                        &["min", "max", "exclusive_min", "exclusive_max"],
                        "range",
                        |k, e| match k {
                            "min" => min = Some(e),
                            "max" => max = Some(e),
                            "exclusive_min" => emin = Some(e),
                            _ => emax = Some(e),
                        },
                        &mut message,
                    )?;
                    RuleKind::Range {
                        min,
                        max,
                        exclusive_min: emin,
                        exclusive_max: emax,
                    }
                }
                "regex" => {
                    let mut path = None;
                    nested_exprs(&meta, &["path"], "regex", |_, e| path = Some(e), &mut message)?;
                    RuleKind::Regex(
                        path.ok_or_else(|| meta.error("`regex` needs a path, as in regex(path = *NAME_RE)"))?,
                    )
                }
                "contains" => {
                    let mut pattern = None;
                    nested_exprs(&meta, &["pattern"], "contains", |_, e| pattern = Some(e), &mut message)?;
                    RuleKind::Contains(
                        pattern
                            .ok_or_else(|| meta.error("`contains` needs a pattern, as in contains(pattern = \"@\")"))?,
                    )
                }
                "custom" => {
                    let mut function = None;
                    nested_exprs(&meta, &["function"], "custom", |_, e| function = Some(e), &mut message)?;
                    let f = function.ok_or_else(|| {
                        meta.error("`custom` needs a function, as in custom(function = \"check_name\")")
                    })?;
                    RuleKind::Custom(custom_path(f)?)
                }
                other => {
                    return Err(meta.error(format!("unknown validator `{other}`; expected one of: {VALIDATORS}")));
                }
            };
            rules.push(Rule { kind, message });
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    rules
}

pub(crate) fn enum_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> EnumAttrs {
    let mut out = EnumAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let res = attr.parse_nested_meta(|meta| {
            match key(&meta).as_str() {
                "rename_all" => {
                    let s = lit_str(&meta, "rename_all", "snake_case")?;
                    set_once(cx, &mut out.rename_all, s, &meta, "rename_all");
                }
                "crate" => {
                    let p = crate_path(&meta)?;
                    set_once(cx, &mut out.krate, p, &meta, "crate");
                }
                other => {
                    return Err(meta.error(format!(
                        "unknown enum attribute `{other}`; expected one of: {ENUM_KEYS}"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

pub(crate) fn variant_rename(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<LitStr> {
    let mut out = None;
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let res = attr.parse_nested_meta(|meta| {
            match key(&meta).as_str() {
                "rename" => {
                    let s = lit_str(&meta, "rename", "label")?;
                    set_once(cx, &mut out, s, &meta, "rename");
                }
                other => {
                    return Err(meta.error(format!(
                        "unknown variant attribute `{other}`; expected one of: {VARIANT_KEYS}"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    out
}

/// serde's `rename_all` on a container, and `rename` on a variant (read, never required).
pub(crate) fn serde_value(attrs: &[Attribute], name: &str) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(name) {
                if let Ok(v) = meta.value()
                    && let Ok(s) = v.parse::<LitStr>()
                {
                    found = Some(s.value());
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|m| {
                    if m.input.peek(syn::Token![=]) {
                        let _: Expr = m.value()?.parse()?;
                    }
                    Ok(())
                });
            }
            Ok(())
        });
    }
    found
}
