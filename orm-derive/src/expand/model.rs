//! `#[derive(Model)]`: checks the struct, then assembles the generated parts
//! inside one hygienic `const _: () = { .. };` (plus the `NewX`/`XPatch`
//! structs, which users name).

use crate::expand::{associations, columns, methods, new_patch, row, validate};
use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let model = crate::build::build(input)?;
    let new_patch = new_patch::structs(&model);
    let consts = columns::consts(&model);
    let meta = columns::meta(&model);
    let model_impl = row::model_impl(&model);
    let validators = validate::field_validators(&model);
    let new_validate = validate::new_validate(&model);
    let methods = methods::inherent(&model);
    let assoc_methods = associations::methods(&model);
    let field_markers = associations::field_markers(&model);
    Ok(quote! {
        #new_patch
        #consts
        #[doc(hidden)]
        const _: () = {
            #meta
            #model_impl
            #validators
            #new_validate
            #methods
            #assoc_methods
            #field_markers
        };
    })
}
