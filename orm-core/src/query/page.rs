//! `all_and_count`: a page of rows and the total, as Sequelize's findAndCountAll.

use crate::db::Isolation;
use crate::db::{Conn, Executor};
use crate::error::Result;
use crate::model::Model;
use crate::query::Find;

impl<M: Model> Find<M> {
    /// The rows of this page (with its includes) and how many rows match
    /// without `limit`/`offset`: two statements that see one snapshot. On
    /// a `Db` they run in a REPEATABLE READ transaction (one snapshot on
    /// PostgreSQL, MySQL and SQLite alike); on a transaction, in it.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)]
    /// # #[orm(timestamps = false)]
    /// # struct Note { id: i64, text: String }
    /// # async fn demo() -> orm_core::Result<()> {
    /// let db = Db::connect("sqlite::memory:").await?;
    /// Schema::new().model::<Note>().sync(&db).await?;
    /// for i in 0..5 { Note::create(&db, NewNote { text: format!("n{i}") }).await?; }
    /// let (page, total) = Note::find().order_by(Note::ID.asc()).limit(2).offset(2).all_and_count(&db).await?;
    /// assert_eq!((page.len(), total), (2, 5));
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn all_and_count<E: Executor + ?Sized>(self, db: &E) -> Result<(Vec<M>, i64)> {
        let count = self.clone();
        match db.__conn() {
            Conn::Tx(tx) => {
                let total = count.count(tx).await?;
                Ok((self.all(tx).await?, total))
            }
            Conn::Db(d) => {
                let tx = d.begin_isolated(Isolation::RepeatableRead).await?;
                let total = count.count(&tx).await?;
                let rows = self.all(&tx).await?;
                tx.commit().await?;
                Ok((rows, total))
            }
        }
    }
}
