//! Stage three: code generation, one module per generated thing.

pub(crate) mod associations;
pub(crate) mod columns;
pub(crate) mod db_enum;
pub(crate) mod methods;
pub(crate) mod model;
pub(crate) mod new_patch;
pub(crate) mod row;
pub(crate) mod validate;

use proc_macro2::{Group, TokenStream, TokenTree};

/// `tokens` with every `Self` replaced by `ty`: user expressions that were
/// written for an `impl` of the model (`default = Self::X`) keep their
/// meaning inside the free helper functions the derive generates (serde's
/// `replace_receiver` does the same).
pub(crate) fn replace_self(tokens: TokenStream, ty: &syn::Ident) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == "Self" => TokenTree::Ident(syn::Ident::new(&ty.to_string(), i.span())),
            TokenTree::Group(g) => {
                let mut out = Group::new(g.delimiter(), replace_self(g.stream(), ty));
                out.set_span(g.span());
                TokenTree::Group(out)
            }
            other => other,
        })
        .collect()
}

/// Expansion snapshots: what the derives generate, pretty-printed, so a
/// change to the generated code shows up as a reviewed diff.
#[cfg(test)]
mod snapshots {
    use syn::parse_quote;

    fn pretty(tokens: proc_macro2::TokenStream) -> String {
        prettyplease::unparse(&syn::parse2::<syn::File>(tokens).expect("generated code parses"))
    }

    #[test]
    fn model() {
        let input: syn::DeriveInput = parse_quote! {
            #[orm(table = "users")]
            pub struct User {
                pub id: i64,
                #[orm(length = 80)]
                pub name: String,
                #[orm(unique)]
                #[validate(email)]
                pub email: String,
                #[orm(default = Role::Member)]
                pub role: Role,
                pub bio: Option<String>,
                pub created_at: DateTime<Utc>,
                pub updated_at: DateTime<Utc>,
                #[orm(foreign_key = "author_id")]
                pub posts: HasMany<Post>,
            }
        };
        insta::assert_snapshot!(pretty(super::model::expand(&input).unwrap()));
    }

    /// `#[orm(crate = "..")]`: generated code names orm-core only by that path.
    #[test]
    fn crate_path() {
        let input: syn::DeriveInput = parse_quote! {
            #[orm(crate = "my_app::orm", timestamps = false)]
            pub struct Tag {
                pub id: i64,
                #[orm(default = 1)]
                pub weight: i32,
                pub note: Option<String>,
                pub posts: HasMany<Post>,
            }
        };
        let out = pretty(super::model::expand(&input).unwrap());
        assert!(!out.contains("orm_core"), "{out}");
        assert!(out.contains("my_app::orm::Model") && out.contains("my_app::orm::__private::serde"));
        let input: syn::DeriveInput = parse_quote! {
            #[orm(crate = "my_app::orm")]
            pub enum Role { Admin, Member }
        };
        let out = pretty(super::db_enum::expand(&input).unwrap());
        assert!(
            !out.contains("orm_core") && out.contains("my_app::orm::DbEnum"),
            "{out}"
        );
    }

    #[test]
    fn db_enum() {
        let input: syn::DeriveInput = parse_quote! {
            #[serde(rename_all = "lowercase")]
            pub enum Role { Admin, Member }
        };
        insta::assert_snapshot!(pretty(super::db_enum::expand(&input).unwrap()));
    }
}
