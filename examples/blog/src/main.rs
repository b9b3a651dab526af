//! `cargo run -p blog`: serves the blog on 127.0.0.1:3000 over SQLite
//! (`blog.db`); `DATABASE_URL` picks another database,
//! `DATABASE_REPLICA_URL` adds read replicas (comma separated), `PORT` the
//! port, `RUST_LOG=orm_core::sql=debug` logs every statement.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    // Every SQL statement is a span (target `orm_core::sql`, OpenTelemetry's
    // `db.*` attributes); `RUST_LOG=info,orm_core::sql=info` prints each as it
    // closes, with its time. A tracing-opentelemetry layer would export them.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,orm_core::sql=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    if let Err(e) = run().await {
        eprintln!("error: {}", e.to_string().replace('\n', " "));
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db".into());
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let mut builder = orm_core::Db::builder(url).acquire_timeout(std::time::Duration::from_secs(5));
    for replica in std::env::var("DATABASE_REPLICA_URL").unwrap_or_default().split(',') {
        if !replica.trim().is_empty() {
            builder = builder.read_replica(replica.trim());
        }
    }
    let db = builder.connect().await?;
    db.authenticate().await?;
    for r in db.replica_status() {
        println!(
            "read replica {}: {}",
            r.url,
            if r.healthy { "in use" } else { "skipped" }
        );
    }
    blog::prepare(&db).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("blog listening on http://{}", listener.local_addr()?);
    axum::serve(listener, blog::app(db)).await?;
    Ok(())
}
