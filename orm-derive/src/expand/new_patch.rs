//! The `NewX` (what `create` takes) and `XPatch` (what `update` takes) structs.

use crate::ir::Model;
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn structs(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let vis = m.vis;
    let new_ident = &m.new_ident;
    let patch_ident = &m.patch_ident;
    let serde_attrs = &m.serde_attrs;
    let deny = if m.deny_unknown_fields {
        quote!()
    } else {
        quote!(#[serde(deny_unknown_fields)])
    };
    let orm_text = quote!(#orm).to_string().replace(' ', "");
    let serde_path = format!("{orm_text}::__private::serde");
    let deserialize_some = format!("{orm_text}::__private::deserialize_some");
    let deserialize_not_null = format!("{orm_text}::__private::deserialize_not_null");
    let serde_crate = quote!(#[serde(crate = #serde_path)]);
    let derives = quote!(#[derive(::core::fmt::Debug, ::core::clone::Clone, #orm::__private::serde::Serialize, #orm::__private::serde::Deserialize)]);

    let new_fields = m.fields.iter().filter(|f| f.in_new()).map(|f| {
        let (name, fvis, inner, ty) = (f.ident, f.vis, f.inner, f.ty);
        let sattrs = &f.serde_attrs;
        if f.optional_in_new() {
            quote! {
                #(#sattrs)*
                #[serde(default)]
                #fvis #name: ::core::option::Option<#inner>
            }
        } else {
            quote! { #(#sattrs)* #fvis #name: #ty }
        }
    });
    let patch_fields = m.fields.iter().filter(|f| f.in_patch()).map(|f| {
        let (name, fvis, ty) = (f.ident, f.vis, f.ty);
        let sattrs = &f.serde_attrs;
        if f.nullable {
            quote! {
                #(#sattrs)*
                #[serde(default, deserialize_with = #deserialize_some, skip_serializing_if = "::core::option::Option::is_none")]
                #fvis #name: ::core::option::Option<#ty>
            }
        } else {
            quote! {
                #(#sattrs)*
                #[serde(default, deserialize_with = #deserialize_not_null, skip_serializing_if = "::core::option::Option::is_none")]
                #fvis #name: ::core::option::Option<#ty>
            }
        }
    });
    let new_doc = format!(
        "The values [`{0}::create`] takes: every column of `{0}` but the auto-increment key and managed timestamps. A column with a default, or a nullable one, is optional here.",
        m.ident
    );
    let patch_doc = format!(
        "A partial update of `{0}` for [`{0}::update`]: `None` leaves a column as it is; a nullable column is `Option<Option<T>>`, where `Some(None)` sets NULL. Deserialized, an absent field is `None`, and `null` for a NOT NULL column is an error naming the field.",
        m.ident
    );
    // `NewX: Default` exactly when every field it holds has a default
    // (optional ones are `Option`s; `Json<T>` when `T: Default`): the
    // bounds are higher-ranked, so an unmet one leaves the impl out instead
    // of failing the derive (stable Rust refuses a plain unmet bound on a
    // concrete type).
    let held: Vec<_> = m.fields.iter().filter(|f| f.in_new()).collect();
    let bounds = held.iter().filter(|f| !f.optional_in_new()).map(|f| {
        let ty = f.ty;
        quote!(#ty: ::core::default::Default)
    });
    let inits = held.iter().map(|f| {
        let name = f.ident;
        quote!(#name: ::core::default::Default::default())
    });
    let new_default = quote! {
        impl ::core::default::Default for #new_ident
        where
            #(for<'__orm> #bounds,)*
        {
            fn default() -> Self {
                Self { #(#inits,)* }
            }
        }
    };
    quote! {
        #[doc = #new_doc]
        #derives
        #serde_crate
        #(#serde_attrs)*
        #deny
        #vis struct #new_ident {
            #(#new_fields,)*
        }

        #new_default

        #[automatically_derived]
        impl #orm::__private::NewOf for #new_ident {
            type Model = #ident;
        }

        #[doc = #patch_doc]
        #derives
        #[derive(::core::default::Default)]
        #serde_crate
        #(#serde_attrs)*
        #deny
        #vis struct #patch_ident {
            #(#patch_fields,)*
        }
    }
}
