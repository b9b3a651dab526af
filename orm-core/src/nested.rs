//! Nested create: `User::create(&db, new).with(User::posts(), children)`.
//!
//! `create` returns a [`Create`] builder; awaiting it runs it. Without
//! `with` it is the plain create of `runtime.rs` (no transaction added).
//! With children it runs in one transaction (a savepoint inside one): the
//! row first, then each association's children with the parent's key set
//! (has-many, has-one) or a link row written (belongs-to-many), to any depth
//! ([`Nested`]), each set on its parent as loaded. A child's validation
//! error names its path (`posts[1].title`); any error rolls all of it back.

use crate::assoc::fields::Loaded;
use crate::db::{Conn, Executor, Transaction};
use crate::error::{Error, Result};
use crate::include::Assoc;
use crate::meta::AssocKind;
use crate::model::Model;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A row to create with the rows of its associations: a child of
/// [`Create::with`] that has children of its own.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, posts: HasMany<Post> }
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Post { id: i64, user_id: i64, title: String, comments: HasMany<Comment> }
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Comment { id: i64, post_id: i64, body: String }
/// # async fn demo() -> orm_core::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Schema::new().model::<User>().model::<Post>().model::<Comment>().sync(&db).await?;
/// let post = Nested::new(NewPost { user_id: 0, title: "a".into() })   // the key is filled in
///     .with(Post::comments(), vec![NewComment { post_id: 0, body: "first".into() }]);
/// let user = User::create(&db, NewUser { name: "ann".into() })
///     .with(User::posts(), vec![post])
///     .await?;
/// let posts = user.posts.get().unwrap();
/// assert_eq!(posts[0].comments.get().unwrap()[0].post_id, posts[0].id);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[must_use = "a nested row is created by the `create` it is given to"]
pub struct Nested<M: Model> {
    new: M::New,
    children: Vec<Box<dyn Step<M>>>,
}

impl<M: Model> Nested<M> {
    /// The row `new`, with no children yet.
    pub fn new(new: M::New) -> Self {
        Nested {
            new,
            children: Vec::new(),
        }
    }

    /// Create `children` through `assoc` after this row (see [`Create::with`]).
    pub fn with<C: Model, K: Children<C>>(mut self, assoc: Assoc<M, C>, children: K) -> Self {
        self.children.push(Box::new(AssocStep {
            assoc,
            rows: children.into_nested(),
        }));
        self
    }
}

/// `Model::create`: a row to insert, and the associated rows to create with
/// it; `.await` runs it and gives the row (with those associations loaded).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct User { id: i64, name: String, posts: HasMany<Post>, profile: HasOne<Profile> }
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Post { id: i64, user_id: i64, #[validate(length(min = 1))] title: String }
/// # #[derive(Model, Debug, Clone)]
/// # #[orm(timestamps = false)]
/// # struct Profile { id: i64, user_id: i64, bio: Option<String> }
/// # async fn demo() -> orm_core::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Schema::new().model::<User>().model::<Post>().model::<Profile>().sync(&db).await?;
/// let user = User::create(&db, NewUser { name: "ann".into() })
///     .with(User::posts(), vec![NewPost { user_id: 0, title: "a".into() }])
///     .with(User::profile(), NewProfile { user_id: 0, bio: None })
///     .await?;                                     // one transaction, keys filled in
/// assert_eq!(user.posts.get().unwrap()[0].user_id, user.id);
/// assert_eq!(user.profile.get().unwrap().user_id, user.id);
///
/// let bad = User::create(&db, NewUser { name: "bob".into() })
///     .with(User::posts(), vec![NewPost { user_id: 0, title: "ok".into() }, NewPost { user_id: 0, title: "".into() }])
///     .await;
/// assert!(matches!(bad, Err(Error::Validation { fields, .. }) if fields.contains_key("posts[1].title")));
/// assert_eq!(User::find().count(&db).await?, 1);   // nothing of bob was written
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[must_use = "a create does nothing until it is awaited"]
pub struct Create<'a, M: Model, E: Executor + ?Sized> {
    db: &'a E,
    row: Nested<M>,
}

impl<'a, M: Model, E: Executor + ?Sized> Create<'a, M, E> {
    /// Create `new` on `db` (what the generated `create` returns).
    pub fn new(db: &'a E, new: M::New) -> Self {
        Create {
            db,
            row: Nested::new(new),
        }
    }

    /// Create `children` through `assoc` once the row exists: a `NewX` or
    /// `Option<NewX>` for a has-one, a `Vec` for a has-many or a
    /// belongs-to-many (each row created, then linked), or [`Nested`] rows
    /// with children of their own. The foreign key each child carries is
    /// overwritten with the parent's key.
    pub fn with<C: Model, K: Children<C>>(mut self, assoc: Assoc<M, C>, children: K) -> Self {
        self.row = self.row.with(assoc, children);
        self
    }
}

impl<'a, M: Model, E: Executor + ?Sized> IntoFuture for Create<'a, M, E> {
    type Output = Result<M>;
    type IntoFuture = BoxFuture<'a, Result<M>>;

    fn into_future(self) -> Self::IntoFuture {
        let Create { db, row } = self;
        Box::pin(async move {
            if row.children.is_empty() {
                return crate::runtime::create::<M, E>(db, row.new).await;
            }
            // A shape no create can take is refused before anything is written.
            if let Some(e) = row.children.iter().find_map(|s| s.refusal()) {
                return Err(e);
            }
            let run = async |tx: &Transaction| -> Result<M> { create_tree(&Conn::Tx(tx), row, |_| {}, "").await };
            match db.__conn() {
                Conn::Db(d) => d.transaction(run).await,
                Conn::Tx(t) => t.transaction(run).await,
            }
        })
    }
}

/// Create `row` (with `fill` applied), then its children, on `conn`;
/// `path` names the row in errors (`posts[1]`, empty for the top row).
fn create_tree<'c, M: Model>(
    conn: &'c Conn<'c>,
    row: Nested<M>,
    fill: impl FnOnce(&mut M) + Send + 'c,
    path: &'c str,
) -> BoxFuture<'c, Result<M>> {
    Box::pin(async move {
        let Nested { new, children } = row;
        let mut m = crate::runtime::create_filled::<M>(conn, new, fill)
            .await
            .map_err(|e| at_path(e, path))?;
        for step in children {
            step.run(conn, &mut m, path).await?;
        }
        Ok(m)
    })
}

/// The error of a shape `refusal` reports (reached only if it did not).
fn self_refusal(meta: &crate::meta::AssocMeta) -> Error {
    Error::invalid(format!("`{}` cannot create rows in a nested create", meta.name))
}

/// A validation error's fields prefixed with the row's path.
fn at_path(err: Error, path: &str) -> Error {
    match err {
        Error::Validation { model, row, fields } if !path.is_empty() => Error::Validation {
            model,
            row,
            fields: fields.into_iter().map(|(k, v)| (format!("{path}.{k}"), v)).collect(),
        },
        other => other,
    }
}

/// What [`Create::with`] takes for an association's children.
pub trait Children<C: Model> {
    /// The rows, as nested creates.
    fn into_nested(self) -> Vec<Nested<C>>;
}

impl<N: crate::__private::NewOf> Children<N::Model> for N {
    fn into_nested(self) -> Vec<Nested<N::Model>> {
        vec![Nested::new(self)]
    }
}

impl<N: crate::__private::NewOf> Children<N::Model> for Option<N> {
    fn into_nested(self) -> Vec<Nested<N::Model>> {
        self.into_iter().map(Nested::new).collect()
    }
}

impl<N: crate::__private::NewOf> Children<N::Model> for Vec<N> {
    fn into_nested(self) -> Vec<Nested<N::Model>> {
        self.into_iter().map(Nested::new).collect()
    }
}

impl<C: Model> Children<C> for Nested<C> {
    fn into_nested(self) -> Vec<Nested<C>> {
        vec![self]
    }
}

impl<C: Model> Children<C> for Vec<Nested<C>> {
    fn into_nested(self) -> Vec<Nested<C>> {
        self
    }
}

/// One `with`: an association and the rows to create through it.
trait Step<P: Model>: Send + Sync {
    /// Why this step (or one below it) cannot run, if it cannot.
    fn refusal(&self) -> Option<Error>;
    fn run<'c>(self: Box<Self>, conn: &'c Conn<'c>, parent: &'c mut P, path: &'c str) -> BoxFuture<'c, Result<()>>;
}

struct AssocStep<P: Model, C: Model> {
    assoc: Assoc<P, C>,
    rows: Vec<Nested<C>>,
}

impl<P: Model, C: Model> Step<P> for AssocStep<P, C> {
    fn refusal(&self) -> Option<Error> {
        let meta = self.assoc.meta;
        let fills = matches!(meta.kind, AssocKind::HasMany | AssocKind::HasOne) && self.assoc.fill.is_some();
        if !fills && meta.kind != AssocKind::BelongsToMany {
            return Some(Error::invalid(format!(
                "`{0}` is a belongs-to: create the row it points at first, or use `create_{0}`",
                meta.name
            )));
        }
        if meta.kind == AssocKind::HasOne && self.rows.len() > 1 {
            return Some(Error::invalid(format!(
                "`{}` is a has-one: create at most one row through it",
                meta.name
            )));
        }
        self.rows.iter().flat_map(|r| &r.children).find_map(|s| s.refusal())
    }

    fn run<'c>(self: Box<Self>, conn: &'c Conn<'c>, parent: &'c mut P, path: &'c str) -> BoxFuture<'c, Result<()>> {
        Box::pin(async move {
            let AssocStep { assoc, rows } = *self;
            let meta = assoc.meta;
            let many = meta.kind != AssocKind::HasOne;
            let mut created = Vec::with_capacity(rows.len());
            for (i, row) in rows.into_iter().enumerate() {
                let here = match (path.is_empty(), many) {
                    (true, true) => format!("{}[{i}]", meta.name),
                    (true, false) => meta.name.to_owned(),
                    (false, true) => format!("{path}.{}[{i}]", meta.name),
                    (false, false) => format!("{path}.{}", meta.name),
                };
                let child = match (meta.kind, assoc.fill) {
                    (AssocKind::HasMany | AssocKind::HasOne, Some(fill)) => {
                        let parent: &P = parent;
                        create_tree(conn, row, move |c: &mut C| fill(parent, c), &here).await?
                    }
                    (AssocKind::BelongsToMany, _) => {
                        let child = create_tree(conn, row, |_| {}, &here).await?;
                        crate::assoc::methods::link_keys(parent.__pk(), conn, meta, vec![child.__pk()]).await?;
                        child
                    }
                    // `refusal` turned every other shape away before the transaction.
                    _ => return Err(self_refusal(meta)),
                };
                created.push(child);
            }
            let loaded = if many {
                Loaded::Many(created)
            } else {
                Loaded::One(created.pop())
            };
            (assoc.set)(parent, loaded);
            Ok(())
        })
    }
}
