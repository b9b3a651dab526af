//! Validation: one checking function per field with rules (`#[validate]`
//! and `length`), called for the model, `NewX` and `XPatch` alike.

use crate::attr::RuleKind;
use crate::ir::{Field, Model};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn has_rules(f: &Field<'_>) -> bool {
    !f.rules.is_empty() || f.attrs.length.is_some()
}

pub(crate) fn fn_name(f: &Field<'_>) -> syn::Ident {
    format_ident!("__orm_validate_{}", f.ident)
}

fn opt(e: &Option<syn::Expr>) -> TokenStream {
    match e {
        Some(e) => quote!(::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    }
}

fn describe(e: &Option<syn::Expr>) -> Option<String> {
    e.as_ref().map(|e| quote!(#e).to_string())
}

/// `fn __orm_validate_<field>(v: &Inner, errors)` for each field with rules:
/// free functions inside the derive's `const _` block.
pub(crate) fn field_validators(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let p = quote!(#orm::__private);
    let fns = m.fields.iter().filter(|f| !f.skip && has_rules(f)).map(|f| {
        let name = fn_name(f);
        let inner = f.inner;
        let field = f.ident.to_string();
        let mut checks = Vec::new();
        if let Some((n, _)) = f.attrs.length {
            let msg = format!("must be at most {n} characters");
            let n = n as usize;
            checks.push(quote!(#p::check(errors, #field, #p::max_chars(v, #n), || #p::String::from(#msg));));
        }
        for rule in &f.rules {
            let custom_msg = rule.message.as_ref().map(|s| s.value());
            let (ok, default_msg) = match &rule.kind {
                RuleKind::Email => (
                    quote!(#p::validator::ValidateEmail::validate_email(v)),
                    "must be a valid email address".to_owned(),
                ),
                RuleKind::Url => (
                    quote!(#p::validator::ValidateUrl::validate_url(v)),
                    "must be a valid URL".to_owned(),
                ),
                RuleKind::NonControlCharacter => (
                    quote!(#p::validator::ValidateNonControlCharacter::validate_non_control_character(v)),
                    "must not contain control characters".to_owned(),
                ),
                RuleKind::Length { min, max, equal } => {
                    let msg = match (describe(min), describe(max), describe(equal)) {
                        (_, _, Some(e)) => format!("length must be exactly {e}"),
                        (Some(a), Some(b), _) => format!("length must be between {a} and {b}"),
                        (Some(a), None, _) => format!("length must be at least {a}"),
                        (None, Some(b), _) => format!("length must be at most {b}"),
                        _ => "invalid length".to_owned(),
                    };
                    let (min, max, equal) = (opt(min), opt(max), opt(equal));
                    (
                        quote!(#p::validator::ValidateLength::<u64>::validate_length(v, #min, #max, #equal)),
                        msg,
                    )
                }
                RuleKind::Range {
                    min,
                    max,
                    exclusive_min,
                    exclusive_max,
                } => {
                    let msg = match (describe(min), describe(max)) {
                        (Some(a), Some(b)) => format!("must be between {a} and {b}"),
                        (Some(a), None) => format!("must be at least {a}"),
                        (None, Some(b)) => format!("must be at most {b}"),
                        _ => "out of range".to_owned(),
                    };
                    let (a, b, c, d) = (opt(min), opt(max), opt(exclusive_min), opt(exclusive_max));
                    (
                        quote!(#p::validator::ValidateRange::validate_range(v, #a, #b, #c, #d)),
                        msg,
                    )
                }
                RuleKind::Regex(path) => (
                    quote!(#p::validator::ValidateRegex::validate_regex(v, &#path)),
                    "has an invalid format".to_owned(),
                ),
                RuleKind::Contains(pat) => {
                    let msg = format!("must contain {}", quote!(#pat));
                    (quote!(#p::validator::ValidateContains::validate_contains(v, #pat)), msg)
                }
                RuleKind::Custom(path) => {
                    let path = crate::expand::replace_self(quote!(#path), ident);
                    checks.push(quote!(#p::check_custom(errors, #field, #path(v));));
                    continue;
                }
            };
            let msg = custom_msg.unwrap_or(default_msg);
            checks.push(quote!(#p::check(errors, #field, #ok, || #p::String::from(#msg));));
        }
        quote! {
            #[doc(hidden)]
            #[allow(clippy::ptr_arg)]
            fn #name(v: &#inner, errors: &mut #p::FieldErrors) {
                #(#checks)*
            }
        }
    });
    quote! { #(#fns)* }
}

/// `NewX::validate()`.
pub(crate) fn new_validate(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let new_ident = &m.new_ident;
    let name = new_ident.to_string();
    let p = quote!(#orm::__private);
    let checks = m.fields.iter().filter(|f| f.in_new() && has_rules(f)).map(|f| {
        let field = f.ident;
        let vfn = fn_name(f);
        if f.optional_in_new() {
            quote!(if let ::core::option::Option::Some(v) = &self.#field { #vfn(v, &mut errors); })
        } else {
            quote!(#vfn(&self.#field, &mut errors);)
        }
    });
    quote! {
        #[automatically_derived]
        impl #new_ident {
            /// Check the model's validation rules on these values.
            pub fn validate(&self) -> #orm::Result<()> {
                let mut errors = #p::FieldErrors::new();
                #(#checks)*
                if errors.is_empty() {
                    ::core::result::Result::Ok(())
                } else {
                    ::core::result::Result::Err(#orm::Error::Validation { model: #name, row: ::core::option::Option::None, fields: errors })
                }
            }
        }
    }
}
