use orm_core::prelude::*;

#[derive(Model)]
struct User {
    id: i64,
    name: String,
    #[orm(column = "name")]
    display_name: String,
}

fn main() {}
