use orm_core::prelude::*;

#[derive(Model)]
#[orm(timestamps = "no")]
struct User {
    id: i64,
}

fn main() {}
