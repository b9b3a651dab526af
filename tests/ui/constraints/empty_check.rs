use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false, check = " ", unique = "email")]
struct Account {
    id: i64,
    email: String,
}

fn main() {}
