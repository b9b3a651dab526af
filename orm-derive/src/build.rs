//! Stage two, the checking: the struct and its parsed attributes become
//! the checked [`Model`] of `ir.rs`. Conventions are resolved here (primary
//! key, timestamps, table and column names, Sequelize's association key
//! defaults); each rule is a named function in `check.rs`, and every
//! violation is an error at the offending token. Generation never fails
//! after this.

use crate::attr::{self, FieldAttrs};
use crate::case;
use crate::check;
use crate::ctxt::Ctxt;
use crate::ir::{Assoc, AssocKind, Field, Model, last_segment, option_inner, type_args};
use quote::format_ident;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Type};

fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ses", "xes", "zes", "ches", "shes"].iter().any(|s| name.ends_with(s)) {
        name[..name.len() - 2].to_owned()
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_owned()
    } else {
        name.to_owned()
    }
}

/// Recognize an association field and resolve its keys (Sequelize's defaults).
fn association<'a>(
    cx: &mut Ctxt,
    parent: &Ident,
    field: &Ident,
    ty: &'a Type,
    attrs: &FieldAttrs,
) -> Option<Assoc<'a>> {
    let (id, target) = last_segment(ty)?;
    // `BelongsToMany<T, L>`: the second argument is the through model.
    let (target, link) = match (id == "BelongsToMany", type_args(ty).as_slice()) {
        (true, [t, l]) => (Some(*t), Some(*l)),
        _ => (target, None),
    };
    let kind = match id.to_string().as_str() {
        "HasOne" => AssocKind::HasOne,
        "HasMany" => AssocKind::HasMany,
        "BelongsTo" => AssocKind::BelongsTo,
        "BelongsToMany" => AssocKind::BelongsToMany,
        _ => return None,
    };
    let Some(target) = target else {
        cx.error(ty, format!("`{id}` needs the target model, as in `{id}<Post>`"));
        return None;
    };
    let target_name = last_segment(target).map(|(i, _)| i.to_string()).unwrap_or_default();
    let parent_fk = format!("{}_id", case::snake(&parent.to_string()));
    let default_fk = match kind {
        AssocKind::BelongsTo => format!("{field}_id"),
        _ => parent_fk,
    };
    let (foreign_key, fk_span) = match &attrs.foreign_key {
        Some(s) => (s.value(), s.span()),
        None => (default_fk, syn::spanned::Spanned::span(target)),
    };
    let mut other_key = String::new();
    let mut through = String::new();
    let mut through_model: Option<Type> = None;
    if kind == AssocKind::BelongsToMany {
        match (&attrs.through, &attrs.through_model, link) {
            (Some(t), _, Some(_)) => cx.error(
                t,
                "a `BelongsToMany<T, L>` goes through the model `L`: write #[orm(through = L)] or leave `through` out",
            ),
            (Some(t), _, None) => through = t.value(),
            (None, Some(p), l) => {
                if let Some(l) = l
                    && last_segment(l).map(|(i, _)| i) != p.segments.last().map(|s| &s.ident)
                {
                    cx.error(
                        p,
                        "`through` and the second parameter of `BelongsToMany<T, L>` must name the same model",
                    );
                }
                through_model = Some(Type::Path(syn::TypePath {
                    qself: None,
                    path: p.clone(),
                }));
            }
            (None, None, Some(l)) => through_model = Some(l.clone()),
            (None, None, None) => cx.error(
                ty,
                "`BelongsToMany` needs its join table: #[orm(through = \"post_tags\")], or a model: #[orm(through = PlaylistTrack)]",
            ),
        }
        other_key = match &attrs.other_key {
            Some(o) => o.value(),
            None => format!("{}_id", case::snake(&target_name)),
        };
        if other_key == foreign_key {
            cx.error(
                ty,
                format!("cannot infer `other_key`: both join-table columns would be `{other_key}`; set #[orm(other_key = \"...\")]"),
            );
        }
    } else {
        if let Some(t) = &attrs.through {
            cx.error(t, "`through` applies to BelongsToMany fields only");
        }
        if let Some(t) = &attrs.through_model {
            cx.error(t, "`through` applies to BelongsToMany fields only");
        }
        if let Some(o) = &attrs.other_key {
            cx.error(o, "`other_key` applies to BelongsToMany fields only");
        }
    }
    if kind == AssocKind::BelongsToMany
        && let Some((ident, _)) = attrs.scope.first()
    {
        cx.error(
            ident,
            "`scope` applies to HasMany, HasOne and BelongsTo: a BelongsToMany's join table has no type column",
        );
    }
    let mut foreign_keys = vec![foreign_key.clone()];
    foreign_keys.extend(attrs.foreign_key_more.iter().map(LitStr::value));
    if kind == AssocKind::BelongsToMany
        && let Some(extra) = attrs.foreign_key_more.first()
    {
        cx.error(extra, "a BelongsToMany's join table holds one key column per side");
    }
    Some(Assoc {
        kind,
        target,
        foreign_keys,
        foreign_key,
        fk_span,
        other_key,
        through,
        through_model,
        link,
        on_delete: attrs.on_delete.as_ref().map(|s| s.value().to_ascii_lowercase()),
        on_update: attrs.on_update.as_ref().map(|s| s.value().to_ascii_lowercase()),
        singular: attrs
            .singular
            .as_ref()
            .map(|s| s.value())
            .unwrap_or_else(|| singular(&field.to_string())),
        scope: attrs.scope.clone(),
    })
}

pub(crate) fn build(input: &DeriveInput) -> syn::Result<Model<'_>> {
    let mut cx = Ctxt::default();
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => Some(n),
            _ => {
                cx.error(
                    &input.ident,
                    "#[derive(Model)] needs a struct with named fields, as in `struct User { id: i64, .. }`",
                );
                None
            }
        },
        _ => {
            cx.error(
                &input.ident,
                "#[derive(Model)] applies to structs; for an enum column use #[derive(DbEnum)]",
            );
            None
        }
    };
    if !input.generics.params.is_empty() {
        cx.error(&input.generics, "a model cannot have generic parameters");
    }
    let mattrs = attr::model_attrs(&mut cx, &input.attrs);
    let Some(named) = named else {
        cx.check()?;
        unreachable!("an error was recorded above");
    };

    let table = match &mattrs.table {
        Some(t) if t.value().is_empty() => {
            cx.error(t, "`table` cannot be empty");
            String::new()
        }
        Some(t) => t.value(),
        None => case::plural(&case::snake(&input.ident.to_string())),
    };
    let timestamps = mattrs.timestamps.as_ref().is_none_or(|b| b.value);

    let mut fields = Vec::new();
    for f in &named.named {
        let Some(ident) = f.ident.as_ref() else { continue };
        let attrs = attr::field_attrs(&mut cx, &f.attrs);
        let rules = attr::validate_rules(&mut cx, &f.attrs);
        let (inner, nullable) = match option_inner(&f.ty) {
            Some(inner) => (inner, true),
            None => (&f.ty, false),
        };
        let assoc = association(&mut cx, &input.ident, ident, &f.ty, &attrs);
        check::placement(&mut cx, ident, &attrs, &rules, assoc.is_some());
        let skip = attrs.skip.is_some() || assoc.is_some();
        check::skipped_and_sizes(&mut cx, ident, inner, &attrs, &rules);
        let column = attrs
            .column
            .as_ref()
            .map(|c| c.value())
            .unwrap_or_else(|| ident.to_string());
        let timestamp = timestamps && !skip && (ident == "created_at" || ident == "updated_at");
        if timestamp && (nullable || last_segment(inner).is_none_or(|(id, _)| id != "DateTime")) {
            cx.error(&f.ty, format!("`{ident}` is a managed timestamp and must be `DateTime<Utc>` (or opt out with #[orm(timestamps = false)])"));
        }
        let serde_attrs = f
            .attrs
            .iter()
            .filter(|a| {
                a.path().is_ident("serde")
                    && (attr::serde_value(std::slice::from_ref(a), "rename").is_some()
                        || attr::serde_value(std::slice::from_ref(a), "alias").is_some())
            })
            .collect();
        let default = check::default_kind(&mut cx, &attrs);
        fields.push(Field {
            default,
            assoc,
            ident,
            vis: &f.vis,
            ty: &f.ty,
            inner,
            nullable,
            skip,
            column,
            attrs,
            rules,
            primary_key: false,
            auto_increment: false,
            timestamp,
            serde_attrs,
            managed: false,
        });
    }

    let (pk, pks) = check::primary_keys(&mut cx, &input.ident, &mut fields);
    check::distinct_columns(&mut cx, &fields);
    check::foreign_keys(&mut cx, &input.ident, &fields);
    check::composite_keys(&mut cx, &fields, pks.len());
    check::belongs_to_scopes(&mut cx, &fields);
    let deleted_at = mattrs
        .paranoid
        .and_then(|span| check::deleted_at(&mut cx, &mut fields, span));
    let version = mattrs
        .version
        .and_then(|span| check::version(&mut cx, &mut fields, span));
    let created_at = fields.iter().position(|f| f.timestamp && f.ident == "created_at");
    let updated_at = fields.iter().position(|f| f.timestamp && f.ident == "updated_at");
    let unique_sets = check::field_sets(&mut cx, "unique", &mattrs.unique_sets, &fields);
    let index_sets = check::field_sets(&mut cx, "index", &mattrs.index_sets, &fields);
    let checks = check::checks(&mut cx, &mattrs.checks);
    cx.check()?;

    let serde_attrs: Vec<&Attribute> = input.attrs.iter().filter(|a| a.path().is_ident("serde")).collect();
    let deny_unknown_fields = serde_attrs.iter().any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("deny_unknown_fields") {
                found = true;
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            }
            Ok(())
        });
        found
    });
    Ok(Model {
        ident: &input.ident,
        vis: &input.vis,
        table,
        fields,
        pk,
        created_at,
        updated_at,
        deleted_at,
        version,
        user_hooks: mattrs.hooks.is_some(),
        default_scope: mattrs.default_scope.clone(),
        validate: mattrs.validate.clone(),
        pks,
        krate: attr::orm_path(&mattrs.krate),
        new_ident: format_ident!("New{}", input.ident),
        patch_ident: format_ident!("{}Patch", input.ident),
        serde_attrs,
        deny_unknown_fields,
        unique_sets,
        index_sets,
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn err(input: DeriveInput) -> String {
        match build(&input) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn conventions() {
        let input: DeriveInput = parse_quote! {
            struct BlogPost {
                id: i64,
                #[orm(column = "headline", length = 80)]
                title: String,
                body: Option<String>,
                #[orm(default = 0)]
                views: i32,
                created_at: DateTime<Utc>,
                updated_at: DateTime<Utc>,
                #[orm(skip)]
                cache: Vec<String>,
                author_id: i64,
                author: BelongsTo<User>,
                tags: BelongsToMany<Tag>,
            }
        };
        // BelongsToMany needs `through`: one error, everything else resolves.
        assert!(err(input).contains("through"));
        let input: DeriveInput = parse_quote! {
            struct BlogPost {
                id: i64,
                #[orm(column = "headline", length = 80)]
                title: String,
                body: Option<String>,
                #[orm(default = 0)]
                views: i32,
                created_at: DateTime<Utc>,
                updated_at: DateTime<Utc>,
                #[orm(skip)]
                cache: Vec<String>,
                author_id: i64,
                author: BelongsTo<User>,
                #[orm(through = "post_tags")]
                tags: BelongsToMany<Tag>,
            }
        };
        let m = build(&input).expect("valid");
        assert_eq!(m.table, "blog_posts");
        assert_eq!(m.new_ident, "NewBlogPost");
        assert_eq!(m.patch_ident, "BlogPostPatch");
        let f = |name: &str| m.fields.iter().find(|f| f.ident == name).unwrap();
        assert!(f("id").primary_key && f("id").auto_increment);
        assert_eq!(f("title").column, "headline");
        assert!(f("body").nullable && f("body").optional_in_new());
        assert!(f("views").optional_in_new() && !f("views").nullable);
        assert!(f("created_at").timestamp && !f("created_at").in_new() && !f("created_at").in_patch());
        assert!(f("cache").skip);
        let author = f("author").assoc.as_ref().unwrap();
        assert!(author.kind == AssocKind::BelongsTo && author.foreign_key == "author_id");
        let tags = f("tags").assoc.as_ref().unwrap();
        assert_eq!(
            (
                tags.foreign_key.as_str(),
                tags.other_key.as_str(),
                tags.singular.as_str()
            ),
            ("blog_post_id", "tag_id", "tag")
        );
        assert_eq!((m.created_at, m.updated_at), (Some(4), Some(5)));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let input: DeriveInput = parse_quote! {
            #[orm(tabel = "x")]
            struct User {
                #[orm(uniqe)]
                email: String,
                #[orm(length = 0)]
                name: String,
            }
        };
        let e = build(&input).err().expect("errors");
        let all: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        assert!(
            all.iter().any(|m| m.contains("unknown model attribute `tabel`")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("unknown field attribute `uniqe`")),
            "{all:?}"
        );
        assert!(all.iter().any(|m| m.contains("`length` must be at least 1")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("needs a primary key")), "{all:?}");
    }

    #[test]
    fn natural_keys_and_versions() {
        let input: DeriveInput = parse_quote! {
            #[orm(version, paranoid, timestamps = false)]
            struct Country {
                #[orm(primary_key)]
                code: String,
                version: i32,
                deleted_at: Option<DateTime<Utc>>,
                created_at: String,
            }
        };
        let m = build(&input).expect("valid");
        assert!(!m.fields[0].auto_increment, "a String key is not auto-increment");
        assert_eq!((m.version, m.deleted_at), (Some(1), Some(2)));
        assert!(!m.fields[1].in_new() && !m.fields[2].in_patch());
        assert!(
            m.fields[3].in_new(),
            "with timestamps off, created_at is an ordinary column"
        );
    }
}
