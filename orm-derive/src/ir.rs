//! The checked model of a struct (stage two's output, built by `build.rs`):
//! fields, keys, associations and the type helpers the rules and the
//! generators share. Nothing here reports errors.

use crate::attr::{FieldAttrs, Rule};
use proc_macro2::Span;
use syn::{Attribute, GenericArgument, Ident, PathArguments, Type, Visibility};

pub(crate) struct Model<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub table: String,
    pub fields: Vec<Field<'a>>,
    pub pk: usize,
    pub created_at: Option<usize>,
    pub updated_at: Option<usize>,
    pub new_ident: Ident,
    pub patch_ident: Ident,
    pub deleted_at: Option<usize>,
    pub version: Option<usize>,
    /// `#[orm(hooks)]`: the user implements `Hooks`.
    pub user_hooks: bool,
    /// `#[serde(..)]` attributes of the struct, copied to `NewX` and `XPatch`.
    pub serde_attrs: Vec<&'a Attribute>,
    pub deny_unknown_fields: bool,
    /// `#[orm(default_scope = ..)]`: applied by `find()`, lifted by `unscoped()`.
    pub default_scope: Option<syn::Path>,
    /// `#[orm(validate = ..)]`: a check across fields, after the field rules.
    pub validate: Option<syn::Path>,
    /// Every primary-key field, in field order (`pk` is the first).
    pub pks: Vec<usize>,
    /// The path generated code names orm-core by (`#[orm(crate = "..")]`).
    pub krate: syn::Path,
    /// `#[orm(unique(a, b))]`: multi-column unique keys, as column names.
    pub unique_sets: Vec<Vec<String>>,
    /// `#[orm(index(a, b))]`: multi-column indexes, as column names.
    pub index_sets: Vec<Vec<String>>,
    /// `#[orm(check = "..")]`: table CHECK constraints, as SQL text.
    pub checks: Vec<String>,
}

pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    /// `T` for `Option<T>`, else the field type.
    pub inner: &'a Type,
    pub nullable: bool,
    pub skip: bool,
    pub column: String,
    pub attrs: FieldAttrs,
    pub rules: Vec<Rule>,
    pub primary_key: bool,
    pub auto_increment: bool,
    pub timestamp: bool,
    /// `#[serde(rename/alias)]` of the field, copied to `NewX` and `XPatch`.
    pub serde_attrs: Vec<&'a Attribute>,
    /// Set for `HasOne`/`HasMany`/`BelongsTo`/`BelongsToMany` fields (which are not columns).
    pub assoc: Option<Assoc<'a>>,
    /// `deleted_at` of a paranoid model, or `version` of a versioned one:
    /// written by the ORM only.
    pub managed: bool,
    /// What `default = <expr>` is: a constant (also the SQL DEFAULT) or a
    /// call (run for each insert; no SQL DEFAULT).
    pub default: DefaultKind,
}

/// How a column gets a value its `NewX` leaves out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DefaultKind {
    /// No default: `NewX` requires the value (unless nullable).
    None,
    /// `default = 1`, `default = Role::Member`: the Rust default and the SQL DEFAULT.
    Constant,
    /// `default = Uuid::now_v7()`: evaluated for each row inserted.
    Call,
    /// `default_sql = "CURRENT_TIMESTAMP"`: the database fills it.
    Sql,
}

/// A literal, a negated literal or a path (a unit variant or a const):
/// the same value every time, so it can be the column's SQL DEFAULT.
pub(crate) fn is_constant(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(_) | syn::Expr::Path(_) => true,
        syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && is_constant(&u.expr),
        syn::Expr::Paren(p) => is_constant(&p.expr),
        syn::Expr::Group(g) => is_constant(&g.expr),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssocKind {
    HasOne,
    HasMany,
    BelongsTo,
    BelongsToMany,
}

pub(crate) struct Assoc<'a> {
    pub kind: AssocKind,
    pub target: &'a Type,
    /// The foreign key (field name = column name by convention); the first
    /// of `foreign_keys`.
    pub foreign_key: String,
    /// Every column of the foreign key: one, or several for a composite key
    /// (`foreign_key = ["tenant_id", "order_no"]`), in the order of the
    /// referenced primary key's columns.
    pub foreign_keys: Vec<String>,
    pub fk_span: Span,
    pub other_key: String,
    pub through: String,
    /// `through = PlaylistTrack` (or `BelongsToMany<Track, PlaylistTrack>`):
    /// the join table is this model's.
    pub through_model: Option<Type>,
    /// `BelongsToMany<Track, PlaylistTrack>`: includes load the link rows.
    pub link: Option<&'a Type>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub singular: String,
    /// `scope(commentable_type = "image")`: field names (on the target for
    /// has-many/has-one, on this model for belongs-to) and values.
    pub scope: Vec<(syn::Ident, syn::LitStr)>,
}

impl Field<'_> {
    /// A column `NewX` carries.
    pub fn in_new(&self) -> bool {
        !self.skip && !self.auto_increment && !self.timestamp && !self.managed
    }
    /// A column `XPatch` carries.
    pub fn in_patch(&self) -> bool {
        !self.skip && !self.primary_key && !self.timestamp && !self.managed
    }
    /// `NewX` takes it as `Option<T>` (a default or a nullable column).
    pub fn optional_in_new(&self) -> bool {
        self.nullable || self.default != DefaultKind::None
    }
}

/// The last path segment's name and its single generic argument, if any.
pub(crate) fn last_segment(ty: &Type) -> Option<(&Ident, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    };
    Some((&seg.ident, arg))
}

/// Every generic type argument of the last path segment.
pub(crate) fn type_args(ty: &Type) -> Vec<&Type> {
    let Type::Path(p) = ty else { return Vec::new() };
    let Some(seg) = p.path.segments.last() else {
        return Vec::new();
    };
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    match last_segment(ty) {
        Some((id, Some(inner))) if id == "Option" => Some(inner),
        _ => None,
    }
}

pub(crate) fn is_named(ty: &Type, names: &[&str]) -> bool {
    matches!(last_segment(ty), Some((id, None)) if names.iter().any(|n| id == n))
}
