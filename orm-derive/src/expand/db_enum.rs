//! `#[derive(DbEnum)]`: labels from `#[orm(rename..)]`, else serde's
//! `rename`/`rename_all`, else the variant name; `DbEnum` + `FieldType` impls.

use crate::attr;
use crate::case;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Fields};

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            ident,
            "#[derive(DbEnum)] applies to enums with unit variants, as in `enum Role { Admin, Member }`",
        ));
    };
    if !input.generics.params.is_empty() {
        cx.error(&input.generics, "a DbEnum cannot have generic parameters");
    }
    let eattrs = attr::enum_attrs(&mut cx, &input.attrs);
    let orm = attr::orm_path(&eattrs.krate);
    let rule = match &eattrs.rename_all {
        Some(s) => Some((s.value(), Some(s))),
        None => attr::serde_value(&input.attrs, "rename_all").map(|r| (r, None)),
    };
    if data.variants.is_empty() {
        cx.error(ident, "a DbEnum needs at least one variant");
    }
    let mut labels = Vec::new();
    let mut variants = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            cx.error(
                &v.fields,
                "DbEnum variants cannot carry data: write a unit variant like `Admin`",
            );
            continue;
        }
        let own = attr::variant_rename(&mut cx, &v.attrs).map(|s| s.value());
        let label = own.or_else(|| attr::serde_value(&v.attrs, "rename")).or_else(|| {
            rule.as_ref().and_then(|(r, lit)| match case::rename(r, &v.ident.to_string()) {
                Some(s) => Some(s),
                None => {
                    if let Some(lit) = lit {
                        cx.error(lit, format!("unknown rename_all rule `{r}`; expected one of: lowercase, UPPERCASE, PascalCase, camelCase, snake_case, SCREAMING_SNAKE_CASE, kebab-case, SCREAMING-KEBAB-CASE"));
                    }
                    None
                }
            })
        });
        let label = label.unwrap_or_else(|| v.ident.to_string());
        if labels.contains(&label) {
            cx.error(&v.ident, format!("two variants are stored as `{label}`"));
        }
        labels.push(label);
        variants.push(&v.ident);
    }
    cx.check()?;
    let name = ident.to_string();
    // `NewX`/`XPatch` are serde types: say so at the enum, not inside a model.
    let serde_check = quote_spanned! {ident.span()=>
        const _: fn() = || #orm::__private::db_enum_needs_serde::<#ident>();
    };
    Ok(quote! {
        #serde_check
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl #orm::DbEnum for #ident {
                const VARIANTS: &'static [&'static str] = &[#(#labels),*];
                fn as_str(&self) -> &'static str {
                    match self { #(#ident::#variants => #labels,)* }
                }
                fn from_label(s: &str) -> ::core::option::Option<Self> {
                    match s {
                        #(#labels => ::core::option::Option::Some(#ident::#variants),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #[automatically_derived]
            impl #orm::FieldType for #ident {
                type Compare = #ident;
                const SQL_TYPE: #orm::SqlType = #orm::SqlType::Enum(<#ident as #orm::DbEnum>::VARIANTS);
                fn to_value(&self) -> #orm::Value {
                    #orm::Value::Str(#orm::DbEnum::as_str(self))
                }
                fn decode(row: #orm::RowRef<'_>, idx: usize) -> #orm::Result<Self> {
                    #orm::__private::decode_enum(row, idx, #name)
                }
            }
        };
    })
}
