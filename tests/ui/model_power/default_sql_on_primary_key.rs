use orm_core::prelude::*;

#[derive(Model)]
struct Listing {
    #[orm(primary_key, default_sql = "gen_random_uuid()")]
    id: uuid::Uuid,
}

fn main() {}
