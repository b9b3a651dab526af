//! The seed tutorial's blog, step one: a user model on SQLite (or
//! `DATABASE_URL`), created and read back as JSON.

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A member's role.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the blog.
    Admin,
    /// Writes posts.
    Member,
}

/// A blog user.
#[derive(Model, Debug, Clone, Serialize, Deserialize)]
#[orm(table = "users")]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Key.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Unique and validated.
    #[orm(unique)]
    #[validate(email)]
    pub email: String,
    /// Defaults to member.
    #[orm(default = Role::Member)]
    pub role: Role,
    /// Managed.
    pub created_at: DateTime<Utc>,
    /// Managed.
    pub updated_at: DateTime<Utc>,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> orm_core::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db".into());
    let db = Db::connect(&url).await?;
    db.authenticate().await?;
    Schema::new().model::<User>().sync(&db).await?;
    let ada = match User::find().filter(User::EMAIL.eq("ada@example.com")).one(&db).await? {
        Some(u) => u,
        None => {
            let new = NewUser {
                name: "Ada Lovelace".into(),
                email: "ada@example.com".into(),
                role: None,
            };
            User::create(&db, new).await?
        }
    };
    println!("{}", serde_json::to_string(&ada).unwrap_or_default());
    Ok(())
}
