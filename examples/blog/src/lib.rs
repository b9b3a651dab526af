//! The seed tutorial's blog as an axum app: users and posts over orm-core,
//! schema from embedded migrations, errors through `orm_core::Error`.

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod api;
pub mod models;
pub mod routes;

use models::{NewPost, NewUser, User};
use orm_core::prelude::*;
use orm_migrate::{Migrations, embed_migrations};

/// The app's migrations, compiled into the binary.
pub static MIGRATIONS: Migrations = embed_migrations!("migrations");

/// The app's models, for `Schema` tools: the `migrate` binary's
/// `generate --auto` and `check`.
pub fn schema() -> Schema {
    Schema::new().model::<User>().model::<models::Post>()
}

/// Apply pending migrations, then load the demo data into an empty database.
pub async fn prepare(db: &Db) -> Result<()> {
    MIGRATIONS.run(db).await?;
    if User::find().count(db).await? == 0 {
        db.transaction(async |tx| {
            let ada = User::create(
                tx,
                NewUser {
                    name: "Ada Lovelace".into(),
                    email: "ada@example.com".into(),
                    role: None,
                },
            )
            .await?;
            ada.create_post(
                tx,
                NewPost {
                    title: "On analytical engines".into(),
                    body: None,
                    author_id: ada.id,
                },
            )
            .await?;
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// The router, with request tracing.
pub fn app(db: Db) -> axum::Router {
    routes::router()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(db)
}
