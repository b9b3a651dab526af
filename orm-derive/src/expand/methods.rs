//! The methods users call on a model: `find`, `find_by_pk`, `create`,
//! `save`, `update`, `reload`, `destroy`, `validate`. Each is one call into
//! `::orm_core::__private`.

use crate::ir::Model;
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn inherent(m: &Model<'_>) -> TokenStream {
    let orm = &m.krate;
    let ident = m.ident;
    let new_ident = &m.new_ident;
    let patch_ident = &m.patch_ident;
    let p = quote!(#orm::__private);
    let pk = &m.fields[m.pk];
    let pk_ty = pk.ty;
    let pk_const = quote::format_ident!("{}", pk.ident.to_string().to_uppercase());
    let find_by_pk = if m.pks.len() > 1 {
        let args = m.pks.iter().map(|&i| {
            let ty = m.fields[i].ty;
            quote!(impl #orm::IntoValue<<#ty as #orm::FieldType>::Compare>)
        });
        let conds = m.pks.iter().enumerate().map(|(n, &i)| {
            let c = quote::format_ident!("{}", m.fields[i].ident.to_string().to_uppercase());
            let n = syn::Index::from(n);
            quote!(.filter(#p::key_eq(#ident::#c, key.#n)))
        });
        quote! {
            /// A query for the row with this composite primary key (a tuple, in field order); end it with `.one(&db)`.
            pub fn find_by_pk(key: (#(#args),*)) -> #orm::Find<#ident> {
                #p::find::<#ident>() #(#conds)* .__by_key()
            }
        }
    } else {
        quote! {
            /// A query for the row with this primary key; end it with `.one(&db)`.
            pub fn find_by_pk(key: impl #orm::IntoValue<<#pk_ty as #orm::FieldType>::Compare>) -> #orm::Find<#ident> {
                #p::find::<#ident>().filter(#p::key_eq(#ident::#pk_const, key)).__by_key()
            }
        }
    };
    quote! {
        #[automatically_derived]
        #[allow(dead_code)]
        impl #ident {
            /// Start a query over this model's table (with its default scope, if it has one).
            pub fn find() -> #orm::Find<#ident> {
                #p::find()
            }

            /// Start a query over this model's table without its default scope.
            pub fn unscoped() -> #orm::Find<#ident> {
                #p::unscoped()
            }

            #find_by_pk

            /// Validate, apply defaults and timestamps, insert, and return the row with its key
            /// (`.await` runs it). `.with(assoc, rows)` creates associated rows too, in one transaction.
            pub fn create<'__a, __E: #orm::Executor + ?Sized>(db: &'__a __E, new: #new_ident) -> #orm::Create<'__a, #ident, __E> {
                #orm::Create::new(db, new)
            }

            /// Validate, bump `updated_at`, and write this instance's columns (a column
            /// whose stored value may not decode exactly is written only if it changed).
            pub async fn save<__E: #orm::Executor + ?Sized>(&mut self, db: &__E) -> #orm::Result<()> {
                #p::save(self, db).await
            }

            /// Validate and write the columns `patch` sets, then apply them to this instance.
            pub async fn update<__E: #orm::Executor + ?Sized>(&mut self, db: &__E, patch: #patch_ident) -> #orm::Result<()> {
                #p::update(self, db, patch).await
            }

            /// Read this row again from the database.
            pub async fn reload<__E: #orm::Executor + ?Sized>(&mut self, db: &__E) -> #orm::Result<()> {
                #p::reload(self, db).await
            }

            /// Delete this row.
            pub async fn destroy<__E: #orm::Executor + ?Sized>(&self, db: &__E) -> #orm::Result<()> {
                #p::destroy(self, db).await
            }

            /// Insert many rows with multi-row INSERTs in one transaction;
            /// every row is validated first (the error names the failing row).
            pub async fn bulk_create<__E: #orm::Executor + ?Sized>(db: &__E, rows: #p::Vec<#new_ident>) -> #orm::Result<#p::Vec<#ident>> {
                #p::bulk_create::<#ident, __E>(db, rows, true).await
            }

            /// [`bulk_create`](Self::bulk_create) without per-row validation, for speed.
            pub async fn bulk_create_unvalidated<__E: #orm::Executor + ?Sized>(db: &__E, rows: #p::Vec<#new_ident>) -> #orm::Result<#p::Vec<#ident>> {
                #p::bulk_create::<#ident, __E>(db, rows, false).await
            }

            /// Insert many rows, one statement per chunk, with an optional conflict clause:
            /// `.on_conflict(target).do_update([cols])` or `.do_nothing()`, then `.all(&db)` or `.exec(&db)`.
            pub fn insert_many(rows: impl ::core::iter::IntoIterator<Item = #new_ident>) -> #orm::InsertMany<#ident> {
                #orm::InsertMany::new(rows.into_iter().collect())
            }

            /// Insert, or update the row with the same value in the model's only unique column (the primary key when it has none); returns the stored row. A model with several unique columns names one with `upsert_on`.
            pub async fn upsert<__E: #orm::Executor + ?Sized>(db: &__E, new: #new_ident) -> #orm::Result<#ident> {
                #p::upsert::<#ident, __E>(db, new).await
            }

            /// Insert, or update the row whose `target` column (unique, or the primary key) holds the same value; returns the stored row.
            pub async fn upsert_on<__T: #orm::FieldType, __E: #orm::Executor + ?Sized>(db: &__E, target: #orm::Column<#ident, __T>, new: #new_ident) -> #orm::Result<#ident> {
                #p::upsert_on::<#ident, __E>(db, target.name(), new).await
            }

            /// The first row matching `cond`, or one created from `new` (`true` if created). Race-safe.
            pub async fn find_or_create<__E: #orm::Executor + ?Sized>(db: &__E, cond: #orm::Condition<#ident>, new: #new_ident) -> #orm::Result<(#ident, bool)> {
                #p::find_or_create::<#ident, __E>(db, cond, new).await
            }

            /// `SET column = column + by` in SQL, then reload this instance.
            pub async fn increment<__T: #orm::FieldType, __E: #orm::Executor + ?Sized>(&mut self, db: &__E, column: #orm::Column<#ident, __T>, by: impl #orm::IntoValue<__T::Compare>) -> #orm::Result<()> {
                #p::increment(self, db, column.name(), #orm::IntoValue::into_value(by), true).await
            }

            /// `SET column = column - by` in SQL, then reload this instance.
            pub async fn decrement<__T: #orm::FieldType, __E: #orm::Executor + ?Sized>(&mut self, db: &__E, column: #orm::Column<#ident, __T>, by: impl #orm::IntoValue<__T::Compare>) -> #orm::Result<()> {
                #p::increment(self, db, column.name(), #orm::IntoValue::into_value(by), false).await
            }

            /// Delete this row even if the model is paranoid.
            pub async fn destroy_force<__E: #orm::Executor + ?Sized>(&self, db: &__E) -> #orm::Result<()> {
                #p::destroy_force(self, db).await
            }

            /// Paranoid models: undo a soft delete.
            pub async fn restore<__E: #orm::Executor + ?Sized>(&mut self, db: &__E) -> #orm::Result<()> {
                #p::restore(self, db).await
            }

            /// Check the validation rules without touching the database.
            pub fn validate(&self) -> #orm::Result<()> {
                #p::validate(self)
            }
        }
    }
}
