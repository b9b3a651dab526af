use orm_core::prelude::*;

#[derive(Model)]
struct Listing {
    id: i64,
    #[orm(default = 1, default_sql = "2")]
    quantity: i32,
}

fn main() {}
