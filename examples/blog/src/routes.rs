//! The HTTP routes. Every handler returns `Result<_, ApiError>`, so errors
//! take one path: `orm_core::Error`'s status and JSON body.

use crate::api::{ApiError, Json, Path, Query};
use crate::models::{NewPost, NewUser, Post, Role, User, UserPatch};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use orm_core::prelude::*;
use serde::Deserialize;

type Res<T> = std::result::Result<T, ApiError>;
type State = axum::extract::State<Db>;

/// Every route of the blog.
pub fn router() -> Router<Db> {
    Router::new()
        .route("/users", post(create_user).get(list_users))
        .route("/users/{id}", get(get_user).patch(update_user).delete(delete_user))
        .route("/users/{id}/posts", post(create_post))
        .route("/posts", get(list_posts))
        .fallback(async || ApiError::Orm(Error::NotFound { model: "route" }))
}

async fn create_user(db: State, Json(new): Json<NewUser>) -> Res<(StatusCode, axum::Json<User>)> {
    let user = User::create(&*db, new).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

async fn get_user(db: State, Path(id): Path<i64>) -> Res<axum::Json<User>> {
    let user = User::find_by_pk(id).include(User::posts()).one(&*db).await?;
    user.map(axum::Json).ok_or(Error::NotFound { model: "User" }.into())
}

/// `GET /users?role=member&limit=20&offset=0`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListUsers {
    role: Option<Role>,
    limit: Option<u64>,
    offset: Option<u64>,
}

async fn list_users(db: State, Query(q): Query<ListUsers>) -> Res<axum::Json<Vec<User>>> {
    let mut find = User::find().order_by(User::CREATED_AT.desc()).order_by(User::ID.desc());
    if let Some(role) = q.role {
        find = find.filter(User::ROLE.eq(role));
    }
    let users = find
        .limit(q.limit.unwrap_or(20).min(100))
        .offset(q.offset.unwrap_or(0))
        .all(&*db)
        .await?;
    Ok(axum::Json(users))
}

async fn load(db: &Db, id: i64) -> Res<User> {
    User::find_by_pk(id)
        .one(db)
        .await?
        .ok_or(ApiError::Orm(Error::NotFound { model: "User" }))
}

async fn update_user(db: State, Path(id): Path<i64>, Json(patch): Json<UserPatch>) -> Res<axum::Json<User>> {
    let mut user = load(&db, id).await?;
    user.update(&*db, patch).await?;
    Ok(axum::Json(user))
}

async fn delete_user(db: State, Path(id): Path<i64>) -> Res<StatusCode> {
    load(&db, id).await?.destroy(&*db).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a client sends to create a post (the author comes from the path).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostBody {
    title: String,
    #[serde(default)]
    body: Option<String>,
}

async fn create_post(
    db: State,
    Path(id): Path<i64>,
    Json(input): Json<PostBody>,
) -> Res<(StatusCode, axum::Json<Post>)> {
    let post = db
        .transaction(async |tx| {
            let author = User::find_by_pk(id)
                .one(tx)
                .await?
                .ok_or(Error::NotFound { model: "User" })?;
            author
                .create_post(
                    tx,
                    NewPost {
                        title: input.title,
                        body: input.body,
                        author_id: author.id,
                    },
                )
                .await
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(post)))
}

/// `GET /posts?include=author&limit=20&offset=0` (a page: at most 100 rows)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListPosts {
    include: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

async fn list_posts(db: State, Query(q): Query<ListPosts>) -> Res<axum::Json<Vec<Post>>> {
    let mut find = Post::find()
        .order_by(Post::ID)
        .limit(q.limit.unwrap_or(20).min(100))
        .offset(q.offset.unwrap_or(0));
    match q.include.as_deref() {
        None => {}
        Some("author") => find = find.include(Post::author()),
        Some(other) => {
            return Err(ApiError::BadRequest(serde_json::json!({
                "error": "Invalid query string",
                "fields": {"include": [format!("unknown association `{other}`; expected `author`")]}
            })));
        }
    }
    Ok(axum::Json(find.all(&*db).await?))
}
