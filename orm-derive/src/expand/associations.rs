//! Associations: the `AssocMeta` entries of `ModelMeta`, the handles
//! (`User::posts()`), and Sequelize's methods (`get_posts`, `add_tag`, ...).

use crate::ir::{AssocKind, Field, Model};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

fn assoc_fields<'m, 'a>(m: &'m Model<'a>) -> impl Iterator<Item = (&'m Field<'a>, &'m crate::ir::Assoc<'a>)> {
    m.fields.iter().filter_map(|f| f.assoc.as_ref().map(|a| (f, a)))
}

fn opt_str(s: &Option<String>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

/// The column of field `name` that an association reads or writes: on the
/// target for a has-many/has-one (its `HasField` constant, so a misspelt
/// field is a compile error at `span`), else this model's own column (a
/// belongs-to's key or type column; a join table's column as written).
fn column_expr(m: &Model<'_>, a: &crate::ir::Assoc<'_>, name: &str, span: proc_macro2::Span) -> TokenStream {
    let orm = &m.krate;
    match a.kind {
        AssocKind::HasOne | AssocKind::HasMany => {
            let target = respan(a.target, span);
            let field = field_name_type(name, &quote!(#orm::__private));
            quote_spanned!(span=> <#target as #orm::__private::HasField<#field>>::COLUMN)
        }
        AssocKind::BelongsTo => {
            let col = m
                .fields
                .iter()
                .find(|c| !c.skip && c.ident == name)
                .map_or_else(|| name.to_owned(), |c| c.column.clone());
            quote!(#col)
        }
        AssocKind::BelongsToMany => quote!(#name),
    }
}

/// The foreign key's first column (the one `AssocMeta::foreign_key` names).
fn foreign_key_expr(m: &Model<'_>, a: &crate::ir::Assoc<'_>) -> TokenStream {
    column_expr(m, a, &a.foreign_key, a.fk_span)
}

/// Every column of the foreign key (several for a composite key).
fn foreign_key_columns(m: &Model<'_>, a: &crate::ir::Assoc<'_>) -> Vec<TokenStream> {
    a.foreign_keys
        .iter()
        .map(|fk| column_expr(m, a, fk, a.fk_span))
        .collect()
}

/// A scope's columns (`scope(commentable_type = "image")`).
fn scope_columns(m: &Model<'_>, a: &crate::ir::Assoc<'_>) -> Vec<TokenStream> {
    a.scope
        .iter()
        .map(|(ident, _)| column_expr(m, a, &ident.to_string(), ident.span()))
        .collect()
}

/// Statements setting a has-many/has-one scope on the target: on its
/// `NewX` (`new`) when `on_new`, else on the row `target`.
fn set_target_scope(m: &Model<'_>, a: &crate::ir::Assoc<'_>, on_new: bool) -> TokenStream {
    let orm = &m.krate;
    let p = quote!(#orm::__private);
    let sets = a.scope.iter().map(|(ident, value)| {
        let target = respan(a.target, ident.span());
        let name = field_name_type(&ident.to_string(), &p);
        let v = quote!(::core::convert::From::from(#p::String::from(#value)));
        if on_new {
            quote_spanned!(ident.span()=> <#target as #p::NewHasField<#name>>::set_new(&mut new, #v);)
        } else {
            quote_spanned!(ident.span()=> <#target as #p::HasField<#name>>::set(target, #v);)
        }
    });
    quote!(#(#sets)*)
}

/// Statements setting a belongs-to's scope on this row (`self` or `s`).
fn set_own_scope(a: &crate::ir::Assoc<'_>, row: &TokenStream, p: &TokenStream) -> TokenStream {
    let sets = a
        .scope
        .iter()
        .map(|(ident, value)| quote!(#row.#ident = ::core::convert::From::from(#p::String::from(#value));));
    quote!(#(#sets)*)
}

pub(crate) fn metas(m: &Model<'_>) -> Vec<TokenStream> {
    let orm = &m.krate;
    assoc_fields(m)
        .map(|(f, a)| {
            let name = f.ident.to_string();
            let kind = match a.kind {
                AssocKind::HasOne => quote!(HasOne),
                AssocKind::HasMany => quote!(HasMany),
                AssocKind::BelongsTo => quote!(BelongsTo),
                AssocKind::BelongsToMany => quote!(BelongsToMany),
            };
            let target = a.target;
            let target_fn = quote_spanned!(target.span()=> {
                fn target() -> &'static #orm::ModelMeta {
                    <#target as #orm::Model>::META
                }
                target
            });
            let fk = foreign_key_expr(m, a);
            let other = &a.other_key;
            let through = match &a.through_model {
                Some(t) => quote_spanned!(t.span()=> <#t as #orm::Model>::META.table),
                None => {
                    let t = &a.through;
                    quote!(#t)
                }
            };
            let (on_delete, on_update) = (opt_str(&a.on_delete), opt_str(&a.on_update));
            let composite = if a.foreign_keys.len() > 1 {
                let cols = foreign_key_columns(m, a);
                quote!(.with_foreign_keys(&[#(#cols),*]))
            } else {
                quote!()
            };
            let scope = if a.scope.is_empty() {
                quote!()
            } else {
                let columns = scope_columns(m, a);
                let values = a.scope.iter().map(|(_, v)| v);
                quote!(.with_scope(&[#((#columns, #values)),*]))
            };
            quote! {
                #orm::AssocMeta::new(#name, #orm::AssocKind::#kind, #target_fn, #fk, #other, #through)
                    .with_on_delete(#on_delete)
                    .with_on_update(#on_update)
                    #composite
                    #scope
            }
        })
        .collect()
}

pub(crate) fn methods(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let pk = m.fields[m.pk].ident;
    let exec = quote!(__E: #orm::Executor + ?Sized);
    let r = quote!(#orm::Result);
    let items = assoc_fields(m).enumerate().map(|(i, (f, a))| {
        let field = f.ident;
        let vis = f.vis;
        let target = a.target;
        // orm-core's path at the target's span, so an error about the
        // target (not a model, no Clone) points at it.
        let orm = respan(orm, target.span());
        let p = quote!(#orm::__private);
        let one = &a.singular;
        let doc = format!("The `{field}` association, for `include` and the association methods.");
        let with_links = match a.link {
            Some(l) => quote_spanned!(l.span()=> .__with_links::<#l>()),
            None => quote!(),
        };
        let get = format_ident!("get_{}", field);
        let count = format_ident!("count_{}", field);
        let create = format_ident!("create_{}", one);
        let set = format_ident!("set_{}", field);
        // Every key column (several for a composite key), and the statements
        // setting a target's (or its `NewX`'s) key to this row's key.
        let fk_cols = foreign_key_columns(m, a);
        let key_target = respan(target, a.fk_span);
        let pk_fields: Vec<&syn::Ident> = m.pks.iter().map(|&i| m.fields[i].ident).collect();
        let key_sets = |via: &str, row: TokenStream, parent: TokenStream| {
            let sets = a.foreign_keys.iter().zip(&pk_fields).map(|(fk, pkf)| {
                let key_name = field_name_type(fk, &p);
                let value = quote!(::core::convert::From::from(::core::clone::Clone::clone(&#parent.#pkf)));
                if via == "new" {
                    quote_spanned!(a.fk_span=> <#key_target as #p::NewHasField<#key_name>>::set_new(#row, #value);)
                } else {
                    quote_spanned!(a.fk_span=> <#key_target as #p::HasField<#key_name>>::set(#row, #value);)
                }
            });
            quote!(#(#sets)*)
        };
        let (new_scope, row_scope) = (set_target_scope(m, a, true), set_target_scope(m, a, false));
        let new_keys = key_sets("new", quote!(&mut new), quote!(self));
        let set_new_key = quote! {
            #new_keys
            #new_scope
        };
        let row_keys = key_sets("row", quote!(target), quote!(self));
        let set_key = quote! {
            #row_keys
            #row_scope
        };
        // A belongs-to points its own key fields at the target's key.
        let own_fks: Vec<syn::Ident> = a.foreign_keys.iter().map(|k| format_ident!("{}", k, span = a.fk_span)).collect();
        let point_at = |row: TokenStream, t: TokenStream| {
            if own_fks.len() == 1 {
                let f0 = &own_fks[0];
                quote!(#row.#f0 = ::core::convert::From::from(<#target as #orm::Model>::__key(#t));)
            } else {
                let parts = own_fks.iter().enumerate().map(|(i, f)| {
                    let i = syn::Index::from(i);
                    quote!(#row.#f = ::core::convert::From::from(__key.#i);)
                });
                quote!({ let __key = <#target as #orm::Model>::__key(#t); #(#parts)* })
            }
        };
        let point_self = point_at(quote!(self), quote!(target));
        let point_s = point_at(quote!(s), quote!(t));
        let fk_olds: Vec<syn::Ident> = own_fks.iter().map(|f| format_ident!("old_{}", f)).collect();
        let scope_cols = scope_columns(m, a);
        let own_scope = set_own_scope(a, &quote!(self), &p);
        let own_scope_s = set_own_scope(a, &quote!(s), &p);
        let scope_fields: Vec<&syn::Ident> = a.scope.iter().map(|(i, _)| i).collect();
        let scope_olds: Vec<syn::Ident> = a.scope.iter().map(|(i, _)| format_ident!("old_{}", i)).collect();
        // Nested create sets a has-many/has-one child's key through the same trait.
        let fill_scope = set_target_scope(m, a, false);
        let fill_keys = key_sets("row", quote!(target), quote!(p));
        let with_fill = match a.kind {
            AssocKind::HasMany | AssocKind::HasOne => quote_spanned! {a.fk_span=>
                .__with_fill(|p: &#ident, target: &mut #key_target| {
                    #fill_keys
                    #fill_scope
                })
            },
            _ => quote!(),
        };
        let handle = quote_spanned! {target.span()=>
            #[doc = #doc]
            #vis fn #field() -> #orm::Assoc<#ident, #target> {
                #orm::Assoc::new(
                    &<#ident as #orm::Model>::META.associations[#i],
                    |p: &mut #ident, loaded| #p::AssocField::set_loaded(&mut p.#field, loaded),
                ) #with_links #with_fill
            }
        };
        let span = target.span();
        let methods = match a.kind {
            AssocKind::HasMany => {
                let add = format_ident!("add_{}", one);
                let add_many = list_method("add", field, one);
                let remove = format_ident!("remove_{}", one);
                let has = format_ident!("has_{}", one);
                quote_spanned! {span=>
                /// Point `target`'s foreign key at this row (one UPDATE; `target` itself is not changed).
                #vis async fn #add<#exec>(&self, db: &__E, target: &#target) -> #r<()> {
                    #p::adopt(self, db, #ident::#field(), &[target]).await
                }
                /// Point every target's foreign key at this row, in one UPDATE.
                #vis async fn #add_many<#exec>(&self, db: &__E, targets: &[#target]) -> #r<()> {
                    let refs: #p::Vec<&#target> = targets.iter().collect();
                    #p::adopt(self, db, #ident::#field(), &refs).await
                }
                /// Detach `target` (its foreign key set to NULL); refused when the key is NOT NULL.
                #vis async fn #remove<#exec>(&self, db: &__E, target: &#target) -> #r<()> {
                    #p::orphan(self, db, #ident::#field(), target).await
                }
                /// Exactly these rows point at this one (others detached), in one transaction.
                #vis async fn #set<#exec>(&self, db: &__E, targets: &[#target]) -> #r<()> {
                    let refs: #p::Vec<&#target> = targets.iter().collect();
                    #p::replace_children(self, db, #ident::#field(), &refs).await
                }
                /// Whether `target` points at this row.
                #vis async fn #has<#exec>(&self, db: &__E, target: &#target) -> #r<bool> {
                    #p::is_related(self, db, #ident::#field(), target).await
                }
                /// The associated rows.
                #vis async fn #get<#exec>(&self, db: &__E) -> #r<#p::Vec<#target>> {
                    #p::get_related(self, db, #ident::#field()).await
                }
                /// How many associated rows there are.
                #vis async fn #count<#exec>(&self, db: &__E) -> #r<i64> {
                    #p::count_related(self, db, #ident::#field()).await
                }
                /// Create an associated row, its foreign key set to this row.
                #vis async fn #create<#exec>(&self, db: &__E, new: <#target as #orm::Model>::New) -> #r<#target> {
                    let mut new = new;
                    #set_new_key
                    #p::create::<#target, __E>(db, new).await
                }
                }
            }
            AssocKind::HasOne => quote_spanned! {span=>
                /// The associated row, if any.
                #vis async fn #get<#exec>(&self, db: &__E) -> #r<::core::option::Option<#target>> {
                    ::core::result::Result::Ok(#p::get_related(self, db, #ident::#field()).await?.into_iter().next())
                }
                /// Point `target`'s foreign key at this row and save it.
                #vis async fn #set<#exec>(&self, db: &__E, target: &mut #target) -> #r<()> {
                    #set_key
                    #p::save_columns(target, db, &[#(#fk_cols,)* #(#scope_cols),*]).await
                }
                /// Create the associated row, its foreign key set to this row.
                #vis async fn #create<#exec>(&self, db: &__E, new: <#target as #orm::Model>::New) -> #r<#target> {
                    let mut new = new;
                    #set_new_key
                    #p::create::<#target, __E>(db, new).await
                }
            },
            AssocKind::BelongsTo => quote_spanned! {span=>
                /// The row this one belongs to, if any.
                #vis async fn #get<#exec>(&self, db: &__E) -> #r<::core::option::Option<#target>> {
                    ::core::result::Result::Ok(#p::get_related(self, db, #ident::#field()).await?.into_iter().next())
                }
                /// Point this row's foreign key at `target` and save it.
                #vis async fn #set<#exec>(&mut self, db: &__E, target: &#target) -> #r<()> {
                    #point_self
                    #own_scope
                    #p::save_columns(self, db, &[#(#fk_cols,)* #(#scope_cols),*]).await
                }
                /// Create the row this one belongs to, point this row's foreign key at it and
                /// save that column, in one transaction; the key is left as it was on failure.
                #vis async fn #create<#exec>(&mut self, db: &__E, new: <#target as #orm::Model>::New) -> #r<#target> {
                    #( let #fk_olds = ::core::clone::Clone::clone(&self.#own_fks); )*
                    #( let #scope_olds = ::core::clone::Clone::clone(&self.#scope_fields); )*
                    let created = #p::create_parent(
                        self,
                        db,
                        new,
                        |s: &mut Self, t: &#target| {
                            #point_s
                            #own_scope_s
                        },
                        &[#(#fk_cols,)* #(#scope_cols),*],
                    )
                    .await;
                    if created.is_err() {
                        #( self.#own_fks = #fk_olds; )*
                        #( self.#scope_fields = #scope_olds; )*
                    }
                    created
                }
            },
            AssocKind::BelongsToMany => {
                let add = format_ident!("add_{}", one);
                let add_many = list_method("add", field, one);
                let remove = format_ident!("remove_{}", one);
                let has = format_ident!("has_{}", one);
                let add_with = match &a.through_model {
                    Some(through) => {
                        let add_with = format_ident!("add_{}_with", one);
                        let fk = format_ident!("{}", a.foreign_key);
                        let other = format_ident!("{}", a.other_key);
                        quote_spanned! {through.span()=>
                            /// Link one row with the link row's own values (`link`'s two keys are set here); returns the stored link row.
                            #vis async fn #add_with<#exec>(&self, db: &__E, target: &#target, link: <#through as #orm::Model>::New) -> #r<#through> {
                                let mut link = link;
                                link.#fk = ::core::convert::From::from(::core::clone::Clone::clone(&self.#pk));
                                link.#other = ::core::convert::From::from(<#target as #orm::Model>::__key(target));
                                #p::create::<#through, __E>(db, link).await
                            }
                        }
                    }
                    None => quote!(),
                };
                quote_spanned! {span=>
                    #add_with
                    /// The linked rows.
                    #vis async fn #get<#exec>(&self, db: &__E) -> #r<#p::Vec<#target>> {
                        #p::get_related(self, db, #ident::#field()).await
                    }
                    /// How many rows are linked.
                    #vis async fn #count<#exec>(&self, db: &__E) -> #r<i64> {
                        #p::count_related(self, db, #ident::#field()).await
                    }
                    /// Link one row (kept if already linked).
                    #vis async fn #add<#exec>(&self, db: &__E, target: &#target) -> #r<()> {
                        #p::link(self, db, #ident::#field(), &[target]).await
                    }
                    /// Create a row and link it, in one transaction.
                    #vis async fn #create<#exec>(&self, db: &__E, new: <#target as #orm::Model>::New) -> #r<#target> {
                        #p::create_linked(self, db, #ident::#field(), new).await
                    }
                    /// Link several rows (those already linked are kept).
                    #vis async fn #add_many<#exec>(&self, db: &__E, targets: &[#target]) -> #r<()> {
                        let refs: #p::Vec<&#target> = targets.iter().collect();
                        #p::link(self, db, #ident::#field(), &refs).await
                    }
                    /// Unlink one row.
                    #vis async fn #remove<#exec>(&self, db: &__E, target: &#target) -> #r<()> {
                        #p::unlink(self, db, #ident::#field(), &[target], false).await.map(|_| ())
                    }
                    /// Link exactly these rows, in one transaction.
                    #vis async fn #set<#exec>(&self, db: &__E, targets: &[#target]) -> #r<()> {
                        let refs: #p::Vec<&#target> = targets.iter().collect();
                        #p::set_links(self, db, #ident::#field(), &refs).await
                    }
                    /// Whether `target` is linked.
                    #vis async fn #has<#exec>(&self, db: &__E, target: &#target) -> #r<bool> {
                        #p::is_related(self, db, #ident::#field(), target).await
                    }
                }
            }
        };
        // One impl block per association, bounded at the target's span: a
        // target without `Clone` is one error there, not one per method.
        let bound = quote_spanned!(span=> #target: #orm::Model + ::core::clone::Clone);
        quote! {
            #[automatically_derived]
            #[allow(dead_code, clippy::useless_conversion)]
            impl #ident where #bound {
                #handle
                #methods
            }
        }
    });
    quote! { #(#items)* }
}

/// A field's name as a type: a tuple of `FieldChar<'c'>`.
fn field_name_type(name: &str, p: &TokenStream) -> TokenStream {
    let chars = name.chars();
    quote!((#(#p::FieldChar<#chars>,)*))
}

/// `HasField<name>` (and `NewHasField<name>`) for each of the model's
/// fields: associations on other models whose key lives here set and name
/// it through them, so a key this model lacks is one error saying so.
pub(crate) fn field_markers(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let p = quote!(#orm::__private);
    let ident = m.ident;
    let new = format_ident!("New{}", ident);
    let impls = m.fields.iter().filter(|f| !f.skip).map(|f| {
        let name = field_name_type(&syn::ext::IdentExt::unraw(f.ident).to_string(), &p);
        let (field, ty, col) = (f.ident, f.ty, &f.column);
        let on_new = f.in_new().then(|| {
            quote! {
                #[diagnostic::do_not_recommend]
                impl #p::NewHasField<#name> for #ident {
                    fn set_new(new: &mut #new, value: #ty) {
                        new.#field = ::core::convert::From::from(value);
                    }
                }
            }
        });
        quote! {
            #[diagnostic::do_not_recommend]
            impl #p::HasField<#name> for #ident {
                type Value = #ty;
                const COLUMN: &'static str = #col;
                fn set(row: &mut Self, value: #ty) {
                    row.#field = value;
                }
            }
            #on_new
        }
    });
    quote!(#(#impls)*)
}

/// `tokens` with every token at `span`.
fn respan(tokens: impl quote::ToTokens, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_token_stream()
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect()
}

/// `add_{field}` for a list of targets, unless the field is its own
/// singular (`staff`, `team`): then `add_{one}` takes one target and the
/// list form adds an `s` (`add_staffs`).
fn list_method(verb: &str, field: &syn::Ident, one: &str) -> syn::Ident {
    if field == one {
        format_ident!("{}_{}s", verb, field)
    } else {
        format_ident!("{}_{}", verb, field)
    }
}
