//! Typed column constants (`User::EMAIL`) and the static `ModelMeta`.

use crate::ir::{DefaultKind, Field, Model};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn consts(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let vis = m.vis;
    let consts = m.fields.iter().filter(|f| !f.skip).map(|f| {
        let name = format_ident!("{}", f.ident.to_string().to_uppercase());
        let ty = f.ty;
        let col = &f.column;
        let doc = format!("The `{col}` column.");
        quote! {
            #[doc = #doc]
            #vis const #name: #orm::Column<#ident, #ty> = #orm::Column::new(#col);
        }
    });
    quote! {
        #[automatically_derived]
        #[allow(dead_code)]
        impl #ident {
            #(#consts)*
        }
    }
}

fn default_fn_name(f: &Field<'_>) -> syn::Ident {
    format_ident!("__orm_default_{}", f.ident)
}

/// `fn __orm_default_x() -> T`, type-checked against the column type at the
/// expression's span: a free function inside the derive's `const _` block,
/// not a method on the user's type.
pub(crate) fn default_fns(m: &Model<'_>) -> TokenStream {
    let ident = m.ident;
    let fns = m.fields.iter().filter(|f| !f.skip).filter_map(|f| {
        let expr = f.attrs.default.as_ref()?;
        let name = default_fn_name(f);
        let inner = f.inner;
        // A string literal is a constant for a `String` field too.
        let string_field =
            matches!(inner, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"));
        let is_str = string_field
            && matches!(
                expr,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(_),
                    ..
                })
            );
        let expr = crate::expand::replace_self(quote!(#expr), ident);
        let typed = if is_str {
            quote_spanned!(crate::hygienic(expr.span())=> let value: #inner = ::core::convert::Into::into(#expr);)
        } else {
            quote_spanned!(crate::hygienic(expr.span())=> let value: #inner = #expr;)
        };
        Some(quote! {
            #[doc(hidden)]
            fn #name() -> #inner {
                #typed
                value
            }
        })
    });
    quote! { #(#fns)* }
}

pub(crate) fn meta(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let name = ident.to_string();
    let table = &m.table;
    let cols: Vec<&Field<'_>> = m.fields.iter().filter(|f| !f.skip).collect();
    let pks = cols.iter().enumerate().filter(|(_, f)| f.primary_key).map(|(i, _)| i);
    let created = opt_index(&cols, m.created_at.map(|i| &m.fields[i]));
    let updated = opt_index(&cols, m.updated_at.map(|i| &m.fields[i]));
    let deleted = opt_index(&cols, m.deleted_at.map(|i| &m.fields[i]));
    let version = opt_index(&cols, m.version.map(|i| &m.fields[i]));
    let names = cols.iter().map(|f| &f.column);
    let columns = cols.iter().map(|f| {
        let col = &f.column;
        let field = f.ident.to_string();
        let ty = f.ty;
        let sql_type = match (&f.attrs.text, &f.attrs.length) {
            (Some(_), _) => quote!(#orm::SqlType::Text),
            (None, Some((n, _))) => quote!(#orm::SqlType::Varchar(#n)),
            _ => quote_spanned!(crate::hygienic(ty.span())=> <#ty as #orm::FieldType>::SQL_TYPE),
        };
        let (primary_key, auto_increment) = (f.primary_key, f.auto_increment);
        let unique = f.attrs.unique.is_some();
        let index = f.attrs.index.is_some();
        let default = match &f.attrs.default {
            Some(_) if f.default == DefaultKind::Constant => {
                let fname = default_fn_name(f);
                let inner = f.inner;
                quote!(::core::option::Option::Some({
                    fn default_value() -> #orm::Value {
                        <#inner as #orm::FieldType>::to_value(&#fname())
                    }
                    default_value
                }))
            }
            _ => quote!(::core::option::Option::None),
        };
        let default_sql = match &f.attrs.default_sql {
            Some(sql) => quote!(::core::option::Option::Some(#sql)),
            None => quote!(::core::option::Option::None),
        };
        let nullable = quote_spanned!(crate::hygienic(ty.span())=> <#ty as #orm::FieldType>::NULLABLE);
        quote! {
            #orm::ColumnMeta::new(#col, #field, #sql_type)
                .with_nullable(#nullable)
                .with_primary_key(#primary_key)
                .with_auto_increment(#auto_increment)
                .with_unique(#unique)
                .with_index(#index)
                .with_default(#default)
                .with_default_sql(#default_sql)
        }
    });
    let defaults = default_fns(m);
    let associations = crate::expand::associations::metas(m);
    let n_columns = cols.len();
    let n_assocs = associations.len();
    let sets = |sets: &[Vec<String>]| {
        let each = sets.iter().map(|s| quote!(&[#(#s),*]));
        quote!(&[#(#each),*])
    };
    let (unique_sets, index_sets) = (sets(&m.unique_sets), sets(&m.index_sets));
    let checks = &m.checks;
    let table_parts = if m.unique_sets.is_empty() && m.index_sets.is_empty() && m.checks.is_empty() {
        quote!()
    } else {
        quote! {
            .with_unique_sets(#unique_sets)
            .with_index_sets(#index_sets)
            .with_checks(&[#(#checks),*])
        }
    };
    quote! {
        #defaults
        #[doc(hidden)]
        static __ORM_COLUMNS: [#orm::ColumnMeta; #n_columns] = [#(#columns),*];
        #[doc(hidden)]
        static __ORM_ASSOCIATIONS: [#orm::AssocMeta; #n_assocs] = [#(#associations),*];
        #[doc(hidden)]
        static __ORM_META: #orm::ModelMeta = #orm::ModelMeta::new(
            #name,
            #table,
            &__ORM_COLUMNS,
            &[#(#names),*],
            &[#(#pks),*],
        )
        .with_created_at(#created)
        .with_updated_at(#updated)
        .with_associations(&__ORM_ASSOCIATIONS)
        .with_deleted_at(#deleted)
        .with_version(#version)
        #table_parts;
    }
}

fn opt_index(cols: &[&Field<'_>], f: Option<&Field<'_>>) -> TokenStream {
    match f.and_then(|f| cols.iter().position(|c| c.ident == f.ident)) {
        Some(i) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    }
}
