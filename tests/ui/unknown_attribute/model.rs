use orm_core::prelude::*;

#[derive(Model)]
#[orm(tabel = "people")]
struct User {
    id: i64,
}

fn main() {}
