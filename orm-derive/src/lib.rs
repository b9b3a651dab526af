//! `#[derive(Model)]` and `#[derive(DbEnum)]` for orm-core.
//!
//! Three stages: `attr` parses `#[orm(..)]` and `#[validate(..)]` into
//! typed values, `ir` checks them into a model of the struct (keeping the
//! original nodes for spans), and `expand` generates code that calls the
//! runtime in `::orm_core::__private`. Use these derives through `orm_core`.

mod attr;
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
