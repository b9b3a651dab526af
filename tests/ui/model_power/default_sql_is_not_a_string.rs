use orm_core::prelude::*;

#[derive(Model)]
struct Listing {
    id: i64,
    #[orm(default_sql = CURRENT_TIMESTAMP)]
    listed_at: chrono::DateTime<chrono::Utc>,
}

fn main() {}
