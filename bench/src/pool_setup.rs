// The raw sqlx pool settings shared by `orm-bench` (`mod pool_setup`) and
// `bench/peers` (`include!`, being a separate workspace).

/// The raw side's pool is set up as the ORM's: 5 connections, all opened at
/// the start (sqlx hands idle connections out in turn, so a pool with one
/// open connection reuses it where one with five rotates: both sides must
/// start alike), and a ping before reuse only for a connection idle over
/// 500 ms (sqlx's default pings on every acquire, a round trip the ORM does
/// not make).
pub fn same_pool_setup<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(5)
        .min_connections(5)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > std::time::Duration::from_millis(500) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}
