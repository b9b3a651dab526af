//! `#[derive(Model)]` and `#[derive(DbEnum)]` for orm-core.
//!
//! Three stages: `attr` parses `#[orm(..)]` and `#[validate(..)]` into
//! typed values, `ir` checks them into a model of the struct (keeping the
//! original nodes for spans), and `expand` generates code that calls the
//! runtime in `::orm_core::__private`. Use these derives through `orm_core`.

mod attr;
mod build;
mod case;
mod check;
mod ctxt;
mod embed;
mod expand;
mod ir;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Map a struct to a table. See `orm_core`'s documentation.
#[proc_macro_derive(Model, attributes(orm, validate))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::model::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Store a fieldless enum as one of a fixed set of labels.
#[proc_macro_derive(DbEnum, attributes(orm))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::db_enum::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Embed a migrations folder; use it through `orm_migrate::embed_migrations!`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    embed::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// A user's span for generated code: errors point at the user's tokens,
/// but names resolve where the derive's own code does. A model written by a
/// `macro_rules!` macro has its fields' tokens from another hygiene context
/// than its struct; code spanned at a field would not see the derive's
/// locals (`row`, `base`, `v`).
fn hygienic(span: proc_macro2::Span) -> proc_macro2::Span {
    span.resolved_at(proc_macro2::Span::call_site())
}
