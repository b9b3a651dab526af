//! `impl Model`: decoding rows, building an instance from `NewX`, the
//! column values, the key, timestamps and patches.

use crate::ir::{DefaultKind, Model};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn model_impl(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let new_ident = &m.new_ident;
    let patch_ident = &m.patch_ident;
    let p = quote!(#orm::__private);

    let mut idx = 0usize;
    let decode = m.fields.iter().map(|f| {
        let name = f.ident;
        let ty = f.ty;
        if f.skip {
            quote!(#name: ::core::default::Default::default())
        } else {
            let i = idx;
            idx += 1;
            quote_spanned!(crate::hygienic(ty.span())=> #name: #orm::__private::decoded(<#ty as #orm::FieldType>::decode(row, base + #i), &__ORM_META, #i)?)
        }
    });

    let from_new = m.fields.iter().map(|f| {
        let name = f.ident;
        if f.skip || f.auto_increment || f.managed {
            quote!(#name: ::core::default::Default::default())
        } else if f.timestamp {
            quote!(#name: now)
        } else if f.default == DefaultKind::Sql {
            // Left to the database (the INSERT omits it, the row is read back).
            if f.nullable {
                quote!(#name: new.#name)
            } else {
                quote!(#name: new.#name.unwrap_or_default())
            }
        } else if f.attrs.default.is_some() {
            let dfn = quote::format_ident!("__orm_default_{}", f.ident);
            if f.nullable {
                quote!(#name: ::core::option::Option::Some(new.#name.unwrap_or_else(#dfn)))
            } else {
                quote!(#name: new.#name.unwrap_or_else(#dfn))
            }
        } else {
            quote!(#name: new.#name)
        }
    });

    let cols: Vec<_> = m.fields.iter().filter(|f| !f.skip).collect();
    let values = cols.iter().map(|f| {
        let (name, ty) = (f.ident, f.ty);
        quote_spanned!(crate::hygienic(ty.span())=> <#ty as #orm::FieldType>::to_value(&self.#name))
    });
    let n_cols = cols.len();
    let value_at = cols.iter().enumerate().map(|(i, f)| {
        let (name, ty) = (f.ident, f.ty);
        quote_spanned!(crate::hygienic(ty.span())=> #i => <#ty as #orm::FieldType>::to_value(&self.#name),)
    });
    let pk = &m.fields[m.pk];
    let pk_name = pk.ident;
    let pk_ty = pk.ty;
    let key_ty = if m.pks.len() > 1 {
        let tys = m.pks.iter().map(|&i| m.fields[i].ty);
        quote!((#(#tys),*))
    } else {
        quote!(#pk_ty)
    };
    let key_value = if m.pks.len() > 1 {
        let names = m.pks.iter().map(|&i| m.fields[i].ident);
        quote!((#(::core::clone::Clone::clone(&self.#names)),*))
    } else {
        quote!(::core::clone::Clone::clone(&self.#pk_name))
    };
    let pk_values = if m.pks.len() > 1 {
        let vals = m.pks.iter().map(|&i| {
            let (name, ty) = (m.fields[i].ident, m.fields[i].ty);
            quote!(<#ty as #orm::FieldType>::to_value(&self.#name))
        });
        quote! {
            fn __pk_values(&self) -> #p::Vec<#orm::Value> {
                let mut out = #p::Vec::new();
                #(out.push(#vals);)*
                out
            }
        }
    } else {
        quote!()
    };
    let sql_defaulted: Vec<_> = cols
        .iter()
        .enumerate()
        .filter(|(_, f)| f.default == DefaultKind::Sql)
        .map(|(i, f)| {
            let name = f.ident;
            quote!(if new.#name.is_none() { out.push(#i); })
        })
        .collect();
    let sql_defaulted = if sql_defaulted.is_empty() {
        quote!()
    } else {
        quote! {
            fn __sql_defaulted(new: &#new_ident) -> #p::Vec<usize> {
                let mut out = #p::Vec::new();
                #(#sql_defaulted)*
                out
            }
        }
    };
    // The user's functions are bound to a typed fn pointer at their own
    // span, so a wrong signature is reported at the path they wrote.
    let default_scope = match &m.default_scope {
        Some(f) => {
            let typed = quote_spanned!(crate::hygienic(f.span())=>
                let scope: fn(#orm::Find<Self>) -> #orm::Find<Self> = #f;
            );
            quote! {
                fn __default_scope(q: #orm::Find<Self>) -> #orm::Find<Self> {
                    #typed
                    scope(q)
                }
            }
        }
        None => quote!(),
    };
    let model_check = match &m.validate {
        Some(f) => {
            let typed = quote_spanned!(crate::hygienic(f.span())=>
                let check: fn(&Self) -> #p::Result<(), #p::FieldErrors> = #f;
            );
            quote! {
                #typed
                #p::check_model(errors, check(self));
            }
        }
        None => quote!(),
    };
    let set_pk = if pk.auto_increment {
        quote!(self.#pk_name = ::core::convert::TryFrom::try_from(id).unwrap_or_default();)
    } else {
        quote!(let _ = id;)
    };
    let touch = match m.updated_at {
        Some(i) => {
            let name = m.fields[i].ident;
            quote!(self.#name = now;)
        }
        None => quote!(let _ = now;),
    };
    let validate_fields = m
        .fields
        .iter()
        .filter(|f| !f.skip && crate::expand::validate::has_rules(f))
        .map(|f| {
            let name = f.ident;
            let vfn = crate::expand::validate::fn_name(f);
            if f.nullable {
                quote!(if let ::core::option::Option::Some(v) = &self.#name { #vfn(v, errors); })
            } else {
                quote!(#vfn(&self.#name, errors);)
            }
        });
    let patch_fields: Vec<_> = m.fields.iter().filter(|f| f.in_patch()).collect();
    let validate_patch = patch_fields.iter().filter(|f| crate::expand::validate::has_rules(f)).map(|f| {
        let name = f.ident;
        let vfn = crate::expand::validate::fn_name(f);
        if f.nullable {
            quote!(if let ::core::option::Option::Some(::core::option::Option::Some(v)) = &patch.#name { #vfn(v, errors); })
        } else {
            quote!(if let ::core::option::Option::Some(v) = &patch.#name { #vfn(v, errors); })
        }
    });
    let patch_values = patch_fields.iter().map(|f| {
        let (name, ty) = (f.ident, f.ty);
        let col = &f.column;
        let value = quote_spanned!(crate::hygienic(ty.span())=> <#ty as #orm::FieldType>::to_value(v));
        quote!(if let ::core::option::Option::Some(v) = &patch.#name { out.push((#col, #value)); })
    });
    let apply_patch = patch_fields.iter().map(|f| {
        let name = f.ident;
        quote!(if let ::core::option::Option::Some(v) = patch.#name { self.#name = v; })
    });

    let set_deleted = match m.deleted_at {
        Some(i) => {
            let name = m.fields[i].ident;
            quote!(self.#name = at;)
        }
        None => quote!(let _ = at;),
    };
    let bump_version = match m.version {
        Some(i) => {
            let name = m.fields[i].ident;
            quote!(self.#name += 1;)
        }
        None => quote!(),
    };
    let hooks = if m.user_hooks {
        quote!()
    } else {
        quote! {
            #[automatically_derived]
            impl #orm::Hooks for #ident {}
        }
    };
    quote! {
        #hooks

        #[automatically_derived]
        impl #orm::Model for #ident {
            type New = #new_ident;
            type Patch = #patch_ident;
            type Key = #key_ty;
            const META: &'static #orm::ModelMeta = &__ORM_META;

            fn __from_row_at(row: #orm::RowRef<'_>, base: usize) -> #orm::Result<Self> {
                ::core::result::Result::Ok(#ident { #(#decode),* })
            }

            fn __value_at(&self, idx: usize) -> #orm::Value {
                match idx {
                    #(#value_at)*
                    _ => #orm::Value::Null(#orm::SqlType::Text),
                }
            }

            fn __key(&self) -> #key_ty {
                #key_value
            }

            fn __from_new(new: #new_ident, now: #p::DateTime<#p::Utc>) -> Self {
                let _ = now;
                #ident { #(#from_new),* }
            }

            fn __values(&self) -> #p::Vec<#orm::Value> {
                let mut out = #p::Vec::with_capacity(#n_cols);
                #(out.push(#values);)*
                out
            }

            fn __pk(&self) -> #orm::Value {
                <#pk_ty as #orm::FieldType>::to_value(&self.#pk_name)
            }

            fn __set_auto_pk(&mut self, id: i64) {
                #set_pk
            }

            fn __touch(&mut self, now: #p::DateTime<#p::Utc>) {
                #touch
            }

            fn __set_deleted_at(&mut self, at: ::core::option::Option<#p::DateTime<#p::Utc>>) {
                #set_deleted
            }

            fn __bump_version(&mut self) {
                #bump_version
            }

            fn __validate(&self, errors: &mut #p::FieldErrors) {
                let _ = &errors;
                #(#validate_fields)*
                #model_check
            }

            fn __validate_patch(patch: &#patch_ident, errors: &mut #p::FieldErrors) {
                let _ = (&patch, &errors);
                #(#validate_patch)*
            }

            fn __patch_values(patch: &#patch_ident) -> #p::Vec<(&'static str, #orm::Value)> {
                let mut out = #p::Vec::new();
                #(#patch_values)*
                out
            }

            fn __apply_patch(&mut self, patch: #patch_ident) {
                let _ = &patch;
                #(#apply_patch)*
            }

            #pk_values
            #sql_defaulted
            #default_scope
        }
    }
}
