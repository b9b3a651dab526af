use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
struct Counter {
    id: i64,
    hits: u64,
}

fn main() {}
