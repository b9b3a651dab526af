//! Collects every error found while parsing and checking, so the user sees
//! them all at once, each at its own span.

use std::fmt::Display;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    pub(crate) fn error(&mut self, span: impl quote::ToTokens, msg: impl Display) {
        self.errors.push(syn::Error::new_spanned(span, msg));
    }

    pub(crate) fn push(&mut self, err: syn::Error) {
        self.errors.push(err);
    }

    /// All errors combined, or `Ok` if there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut iter = self.errors.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}
